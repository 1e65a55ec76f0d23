package com.aimlib.host;

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

    void failed(UUID sessionId, String reason);

    void stopped(UUID sessionId);

    /** The session's bytes through its bridge so far (both directions). */
    void bytes(UUID sessionId, long total);
}
