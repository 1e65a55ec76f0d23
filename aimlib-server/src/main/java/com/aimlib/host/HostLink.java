package com.aimlib.host;

import java.util.UUID;

/**
 * The browser host as the gateway sees it. Calls return at once; the host reports the outcome through
 * {@link GatewayLink}. {@link BrowserHost} is the in-process implementation (standalone, tests).
 */
public interface HostLink {
    /** Launches a browser for the session in {@code order}; reports ready or failed later. */
    void boot(BootOrder order);

    /**
     * An idle, booted session was adopted by a new create with the same resolved profile: keep its browser, open
     * {@code order.startUrl()} in its first tab if set, and report ready again.
     */
    void resume(BootOrder order);

    /** An idle, booted session was adopted with another profile: replace its browser with a fresh one, report ready. */
    void restart(BootOrder order);

    /** Tears the session's browser down (idempotent); reports stopped when done. */
    void stop(UUID sessionId);
}
