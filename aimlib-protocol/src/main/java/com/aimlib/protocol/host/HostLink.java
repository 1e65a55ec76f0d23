package com.aimlib.protocol.host;

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

    /**
     * Launches a browser that also restores a saved context and loads extensions (issue 14). Hosts that cannot
     * (the database-driven remote host) say so with {@link #savesState()} false and are never sent extras.
     */
    default void boot(BootOrder order, BootExtras extras) {
        if (!extras.isEmpty()) {
            throw new UnsupportedOperationException("this host restores no contexts and loads no extensions");
        }
        boot(order);
    }

    /** Whether {@link #saveState} and {@link #boot(BootOrder, BootExtras)} with extras work on this host. */
    default boolean savesState() {
        return false;
    }

    /**
     * Whether sessions on this host can record ({@link BootOrder#recording()}: the host writes the files where the
     * gateway reads them). A host on another machine does not (issue 12).
     */
    default boolean records() {
        return savesState();
    }

    /**
     * The session's cookies and origin storage as a {@link SavedState} zip; with {@code stop}, the browser is first
     * shut down cleanly (so its storage is on disk) and then torn down, reporting stopped. Blocking.
     */
    default byte[] saveState(UUID sessionId, boolean stop, long maxBytes) throws java.io.IOException {
        throw new UnsupportedOperationException("this host saves no contexts");
    }

    /** {@link #restart(BootOrder)} that also restores a saved context and loads extensions (issue 14). */
    default void restart(BootOrder order, BootExtras extras) {
        if (!extras.isEmpty()) {
            throw new UnsupportedOperationException("this host restores no contexts and loads no extensions");
        }
        restart(order);
    }

    /** Tears the session's browser down (idempotent); reports stopped when done. */
    void stop(UUID sessionId);
}
