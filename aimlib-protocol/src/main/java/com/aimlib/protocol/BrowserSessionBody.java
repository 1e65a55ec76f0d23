package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The 200 answer of {@code GET /v1/devices/{id}/browser}: {@code egress_ip} and {@code expires_at} are
 * always present (null until known), {@code started_at} and {@code resolved_profile} only once they exist.
 */
@JsonPropertyOrder({"session_id", "status", "connect_url", "egress_ip", "expires_at", "started_at", "resolved_profile"})
public record BrowserSessionBody(
        @JsonProperty("session_id") UUID sessionId,
        @JsonProperty("status") String status,
        @JsonProperty("connect_url") String connectUrl,
        @JsonProperty("egress_ip") String egressIp,
        @JsonProperty("expires_at") Instant expiresAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("started_at") Instant startedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("resolved_profile") Map<String, Object> resolvedProfile) {
}
