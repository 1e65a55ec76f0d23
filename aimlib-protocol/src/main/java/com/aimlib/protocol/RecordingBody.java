package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The 200 answer of {@code GET /v1/sessions/{id}/recording} (issue 14). {@code status}: {@code recording} while the
 * session runs, {@code complete} once it ended (then {@code expires_at} says when the files are deleted).
 */
@JsonPropertyOrder({"session_id", "status", "recording", "expires_at", "files", "storage"})
public record RecordingBody(
        @JsonProperty("session_id") UUID sessionId,
        @JsonProperty("status") String status,
        @JsonProperty("recording") RecordingOptions recording,
        @JsonProperty("expires_at") Instant expiresAt,
        @JsonProperty("files") List<File> files,
        @JsonProperty("storage") Storage storage) {

    /** One file: {@code recording.har}, {@code video.mp4} or {@code screenshots/<name>.png}, and its download path. */
    @JsonPropertyOrder({"name", "kind", "bytes", "url"})
    public record File(
            @JsonProperty("name") String name,
            @JsonProperty("kind") String kind,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("url") String url) {
    }

    /** The customer's recordings on disk against its quota. */
    @JsonPropertyOrder({"used_bytes", "quota_bytes"})
    public record Storage(
            @JsonProperty("used_bytes") long usedBytes,
            @JsonProperty("quota_bytes") long quotaBytes) {
    }
}
