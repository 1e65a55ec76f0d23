package com.aimlib.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * What a host needs to launch one session: the profile the gateway resolved at create time, the data cap,
 * and the lease's proxy credentials the bridge presents to the gateway proxy (never logged); {@code recording}: null
 * when the session records nothing.
 */
public record BootOrder(UUID sessionId, String deviceName, ObjectNode profile, long dataCapBytes,
                        String proxyUsername, String proxyPassword, RecordingOrder recording) {
    public BootOrder(UUID sessionId, String deviceName, ObjectNode profile, long dataCapBytes, String proxyUsername, String proxyPassword) {
        this(sessionId, deviceName, profile, dataCapBytes, proxyUsername, proxyPassword, null);
    }

    @Override
    public String toString() {
        return "BootOrder[session=" + sessionId + ", device=" + deviceName + ", cap=" + dataCapBytes + "]";
    }
}
