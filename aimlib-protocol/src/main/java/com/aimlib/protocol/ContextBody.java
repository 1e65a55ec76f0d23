package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A saved browser context (issue 14): its name, size, the resolved profile it was saved with (a session started
 * from it gets that profile), and the session it was last saved from. Its contents are never shown.
 */
@JsonPropertyOrder({"id", "name", "size_bytes", "source_session_id", "resolved_profile", "created_at", "updated_at"})
public record ContextBody(
        @JsonProperty("id") UUID id,
        @JsonProperty("name") String name,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("source_session_id") UUID sourceSessionId,
        @JsonProperty("resolved_profile") Map<String, Object> resolvedProfile,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("updated_at") Instant updatedAt) {
}
