package com.aimlib.protocol.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/** The gateway as a browser host sees it: registration, heart-beat and the reports on each session. */
public interface GatewayLink {
    /**
     * Registers (or re-registers after a restart) this host with the full version of the Chromium it runs
     * ("156.0.8078.108", which profiles are resolved against); the gateway forgets sessions it had before.
     */
    UUID register(String name, String region, String address, int capacity, String chromeVersion, HostLink link);

    void heartbeat(UUID hostId);

    /**
     * The browser answers CDP on {@code 127.0.0.1:cdpPort}{@code cdpPath} (host-local) and egresses as {@code egressIp};
     * {@code downloadsDir} is the session's own downloads directory on the host (the relay confines downloads and file inputs to it).
     * A session's profile is resolved at create time; {@code resolvedProfile} is kept only for a session without one.
     */
    void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long bootMillis, String downloadsDir);

    /**
     * {@link #ready} with where the start went on the host ({@code phases}); a link that does not record them drops
     * them. A {@code null} {@code egressIp} means "the device's known egress IP".
     */
    default void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long bootMillis,
                       String downloadsDir, StartPhases phases) {
        ready(sessionId, cdpPort, cdpPath, egressIp, resolvedProfile, bootMillis, downloadsDir);
    }

    /**
     * Whether this gateway holds every relay client of a session until {@link #identityApplied} (issue 10): then the host
     * reports ready as soon as the browser answers and applies the identity while the customer's client connects, and
     * nothing of a client reaches the browser before the identity is in effect. A link that does not hold answers
     * false and the host applies the identity before ready.
     */
    default boolean holdsClientsUntilIdentity() {
        return false;
    }

    /**
     * {@link #ready} with {@code identityPending}: the identity is still being applied (only when
     * {@link #holdsClientsUntilIdentity()}); {@link #identityApplied} or {@link #failed} follows.
     */
    default void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long bootMillis,
                       String downloadsDir, StartPhases phases, boolean identityPending) {
        ready(sessionId, cdpPort, cdpPath, egressIp, resolvedProfile, bootMillis, downloadsDir, phases);
    }

    /**
     * The identity is in effect on every target of the session's browser (after a ready with {@code identityPending}):
     * the held relay clients go on. {@code phases}: where that work went after ready ({@code first_cdp},
     * {@code identity}, {@code session_setup}).
     */
    default void identityApplied(UUID sessionId, StartPhases phases) {
    }

    /**
     * The egress IP the host saw through the session's own bridge after ready (off the start's critical path);
     * {@code null} when the check failed.
     */
    default void egressVerified(UUID sessionId, String egressIp) {
    }

    void failed(UUID sessionId, String reason);

    void stopped(UUID sessionId);

    /** The session's bytes through its bridge so far (both directions). */
    void bytes(UUID sessionId, long total);
}
