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
 * temperature as JSON: {@link HealthProbe}), and the phone's time zone and locale as its settings say (reported to
 * the gateway, which makes them a browser session's defaults).
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
        @JsonProperty("health_command") String healthCommand,
        @JsonProperty("timezone") String timezone,
        @JsonProperty("locale") String locale) {

    /** A device whose time zone and locale are the agent's own ({@link #reportedTimezone()}). */
    public DeviceConfig(UUID id, String token, String bind, String carrier, String rotateCommand, String whatIsMyIpUrl, Integer pool,
                        String restoreCommand, String healthCommand) {
        this(id, token, bind, carrier, rotateCommand, whatIsMyIpUrl, pool, restoreCommand, healthCommand, null, null);
    }

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

    /**
     * The time zone reported to the gateway: the configured one (an empty one: none), else this process's own when it names a place (an
     * agent running on the phone shares its settings); never a bare UTC/GMT, which on a server means "not set".
     */
    String reportedTimezone() {
        if (timezone != null) {
            return timezone.isBlank() ? null : timezone.strip();
        }
        String zone = java.time.ZoneId.systemDefault().getId();
        return zone.contains("/") && !zone.startsWith("Etc/") && !zone.startsWith("UTC") && !zone.startsWith("GMT") ? zone : null;
    }

    /** The locale reported: the configured one, else this process's own when it names a country (a C/POSIX locale does not). */
    String reportedLocale() {
        if (locale != null) {
            return locale.isBlank() ? null : locale.strip();
        }
        String lang = System.getenv("LANG");
        java.util.Locale l = java.util.Locale.getDefault();
        boolean posix = lang == null || lang.isBlank() || lang.startsWith("C") || lang.startsWith("POSIX");
        return posix || l.getCountry().isEmpty() ? null : l.toLanguageTag();
    }

    EgressBinding binding() {
        return new EgressBinding(bind);
    }

    @Override
    public String toString() {
        return "DeviceConfig[id=" + id + ", bind=" + bind + ", carrier=" + carrier + ", pool=" + pool + "]";
    }
}
