package com.aimlib.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.UUID;

/**
 * One device an agent serves: its id and agent token (from {@code POST /admin/v1/devices/{id}/agent-token}),
 * its egress binding (see {@link EgressBinding}), carrier, rotate command (run with {@code sh -c}), the
 * what-is-my-IP URL probed from the binding, how many tunnel connections to keep (default 2), the restore
 * command run after a failed or timed-out rotation so the device is never left without a network (for a phone:
 * airplane mode off), and the health command (run with {@code sh -c}, prints signal, network type, battery and
 * temperature as JSON: {@link HealthProbe}).
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record DeviceConfig(
        @JsonProperty("id") UUID id,
        @JsonProperty("token") String token,
        @JsonProperty("bind") String bind,
        @JsonProperty("carrier") String carrier,
        @JsonProperty("rotate_command") String rotateCommand,
        @JsonProperty("what_is_my_ip_url") String whatIsMyIpUrl,
        @JsonProperty("pool") Integer pool,
        @JsonProperty("restore_command") String restoreCommand,
        @JsonProperty("health_command") String healthCommand) {

    /** A device without a restore or health command. */
    public DeviceConfig(UUID id, String token, String bind, String carrier, String rotateCommand, String whatIsMyIpUrl, Integer pool,
                        String restoreCommand) {
        this(id, token, bind, carrier, rotateCommand, whatIsMyIpUrl, pool, restoreCommand, null);
    }

    /** A device without a restore command. */
    public DeviceConfig(UUID id, String token, String bind, String carrier, String rotateCommand, String whatIsMyIpUrl, Integer pool) {
        this(id, token, bind, carrier, rotateCommand, whatIsMyIpUrl, pool, null);
    }

    public DeviceConfig {
        if (id == null || token == null || token.isBlank()) {
            throw new IllegalArgumentException("a device needs id and token");
        }
        new EgressBinding(bind);
        if (pool == null) {
            pool = 2;
        }
        if (pool < 1 || pool > 16) {
            throw new IllegalArgumentException("pool must be 1..16");
        }
    }

    EgressBinding binding() {
        return new EgressBinding(bind);
    }

    @Override
    public String toString() {
        return "DeviceConfig[id=" + id + ", bind=" + bind + ", carrier=" + carrier + ", pool=" + pool + "]";
    }
}
