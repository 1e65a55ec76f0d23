package com.aimlib.host;

import java.util.UUID;

/**
 * The browser host as the gateway sees it. Calls return at once; the host reports the outcome through
 * {@link GatewayLink}. {@link BrowserHost} is the in-process implementation (standalone, tests).
 */
public interface HostLink {
    /** Launches a browser for the session in {@code order}; reports ready or failed later. */
    void boot(BootOrder order);

    /** Tears the session's browser down (idempotent); reports stopped when done. */
    void stop(UUID sessionId);
}
