package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/**
 * One egress IP a device had during the caller's lease ({@code GET /v1/devices/{id}/ips}), with when it was
 * first and last seen inside the lease; {@code source} is {@code rotation} (then {@code operation_id} names
 * it) or {@code observed} (the address the lease began with, or one the carrier gave the device on its own).
 */
@JsonPropertyOrder({"ip", "first_seen", "last_seen", "current", "source", "operation_id", "lease_id"})
public record EgressIpBody(
        @JsonProperty("ip") String ip,
        @JsonProperty("first_seen") Instant firstSeen,
        @JsonProperty("last_seen") Instant lastSeen,
        @JsonProperty("current") boolean current,
        @JsonProperty("source") String source,
        @JsonProperty("operation_id") UUID operationId,
        @JsonProperty("lease_id") UUID leaseId) {
}
