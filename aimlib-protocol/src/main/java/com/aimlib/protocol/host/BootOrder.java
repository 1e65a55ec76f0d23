package com.aimlib.protocol.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * What a host needs to launch one session: the profile the gateway resolved at create time, the data cap,
 * the session's own bridge credential the bridge presents to the gateway proxy ({@code proxyUsername}/{@code proxyPassword}:
 * minted by the gateway for this session only, dead when it ends, never the lease's own proxy password; never logged), the URL the first tab
 * opens once the identity is applied (null: it stays blank), and what the session records ({@code recording}: null
 * when nothing, issue 14).
 */
public record BootOrder(UUID sessionId, String deviceName, ObjectNode profile, long dataCapBytes,
                        String proxyUsername, String proxyPassword, String startUrl, RecordingOrder recording) {
    public BootOrder(UUID sessionId, String deviceName, ObjectNode profile, long dataCapBytes, String proxyUsername, String proxyPassword) {
        this(sessionId, deviceName, profile, dataCapBytes, proxyUsername, proxyPassword, null, null);
    }

    public BootOrder(UUID sessionId, String deviceName, ObjectNode profile, long dataCapBytes, String proxyUsername, String proxyPassword,
                     String startUrl) {
        this(sessionId, deviceName, profile, dataCapBytes, proxyUsername, proxyPassword, startUrl, null);
    }

    @Override
    public String toString() {
        return "BootOrder[session=" + sessionId + ", device=" + deviceName + ", cap=" + dataCapBytes + "]";
    }
}
