package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * The compact {@code health} of a {@link DeviceBody} (an extension of the documented device object):
 * {@code status} is {@code healthy}, {@code unhealthy} (no egress from the device for the gateway's configured
 * time) or {@code unknown} (the device never reported); the rest is null when the device's platform does not
 * give it. {@code last_rotation_at}: when the device's egress IP last changed (a rotation or the carrier's own).
 */
@JsonPropertyOrder({"status", "network_type", "signal_dbm", "battery_pct", "temperature_c", "rtt_ms", "last_rotation_at",
        "updated_at"})
public record DeviceHealthBody(
        @JsonProperty("status") String status,
        @JsonProperty("network_type") String networkType,
        @JsonProperty("signal_dbm") Integer signalDbm,
        @JsonProperty("battery_pct") Integer batteryPct,
        @JsonProperty("temperature_c") Double temperatureC,
        @JsonProperty("rtt_ms") Double rttMs,
        @JsonProperty("last_rotation_at") Instant lastRotationAt,
        @JsonProperty("updated_at") Instant updatedAt) {

    public static final String HEALTHY = "healthy";
    public static final String UNHEALTHY = "unhealthy";
    public static final String UNKNOWN = "unknown";

    /** A device that never reported. */
    public static DeviceHealthBody unknown(Instant lastRotationAt) {
        return new DeviceHealthBody(UNKNOWN, null, null, null, null, null, lastRotationAt, null);
    }
}
