package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/**
 * A lease's rotation schedule ({@code GET|PUT /v1/devices/{id}/rotation-schedule}): rotate every
 * {@code interval} seconds ({@code null}: no schedule), next due at {@code next_rotation_at}.
 */
@JsonPropertyOrder({"device_id", "lease_id", "interval", "next_rotation_at"})
public record RotationScheduleBody(
        @JsonProperty("device_id") UUID deviceId,
        @JsonProperty("lease_id") UUID leaseId,
        @JsonProperty("interval") Integer interval,
        @JsonProperty("next_rotation_at") Instant nextRotationAt) {
}
