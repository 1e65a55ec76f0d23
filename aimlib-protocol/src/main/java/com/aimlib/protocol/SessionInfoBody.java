package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/**
 * One browser session as {@code GET /v1/sessions} and {@code GET /v1/sessions/{id}} show it (an extension of the
 * documented contract). Every field is always present, null until known: {@code ended_at}, {@code end_reason} once
 * the session has ended; {@code duration_s} from start (or creation, for a session that never started) to its end,
 * or to now while it lives; {@code bytes_used} both directions through the session's bridge.
 */
@JsonPropertyOrder({"session_id", "device_id", "status", "connect_url", "egress_ip", "bytes_used", "created_at", "started_at",
        "expires_at", "ended_at", "end_reason", "duration_s", "start_url"})
public record SessionInfoBody(
        @JsonProperty("session_id") UUID sessionId,
        @JsonProperty("device_id") UUID deviceId,
        @JsonProperty("status") String status,
        @JsonProperty("connect_url") String connectUrl,
        @JsonProperty("egress_ip") String egressIp,
        @JsonProperty("bytes_used") long bytesUsed,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("started_at") Instant startedAt,
        @JsonProperty("expires_at") Instant expiresAt,
        @JsonProperty("ended_at") Instant endedAt,
        @JsonProperty("end_reason") String endReason,
        @JsonProperty("duration_s") Long durationSeconds,
        @JsonProperty("start_url") String startUrl) {
}
