package com.aimlib.sdk;

import com.aimlib.protocol.RecordingBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A session's recording (an extension): {@link #list()} what was recorded so far (complete once the session ended),
 * {@link #download} a file. Files are kept for the gateway's retention period after the session ended.
 */
public final class SessionRecording {
    private static final TypeReference<RecordingBody> BODY = new TypeReference<>() {
    };
    private final Transport transport;
    private final String sessionId;

    SessionRecording(Transport transport, String sessionId) {
        this.transport = transport;
        this.sessionId = sessionId;
    }

    /** {@code GET /v1/sessions/{id}/recording}. */
    public RecordingBody list() {
        return transport.call("GET", "/v1/sessions/" + sessionId + "/recording", null, BODY);
    }

    /**
     * Downloads {@code name} ({@code recording.har}, {@code video.mp4}, {@code screenshots/<file>.png}) into {@code to}:
     * a directory (the file keeps its own name) or a file path. Returns the written file.
     */
    public Path download(String name, Path to) {
        Path target = Files.isDirectory(to) ? to.resolve(name.substring(name.lastIndexOf('/') + 1)) : to;
        return transport.download("/v1/sessions/" + sessionId + "/recording/" + name, target);
    }
}
