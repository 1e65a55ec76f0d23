package com.aimlib.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The health command as the agent runs it: real {@code sh -c} processes, their output checked field by field. */
class HealthProbeTest {

    @Test
    void fieldsInRangeAreReportedAndUnknownOnesIgnored() throws Exception {
        Map<String, Object> h = HealthProbe.run("printf '%s' '{\"signal_dbm\": -101.4, \"network_type\": \" 5G \", "
                + "\"battery_pct\": 99, \"temperature_c\": 41.26, \"imei\": \"secret\"}'", Duration.ofSeconds(10));
        assertThat(h).containsExactly(Map.entry("signal_dbm", -101), Map.entry("battery_pct", 99),
                Map.entry("temperature_c", 41.3), Map.entry("network_type", "5G"));
    }

    @Test
    void badValuesAreDroppedAndNamed() throws Exception {
        Map<String, Object> h = HealthProbe.run("echo '{\"signal_dbm\": 5, \"network_type\": \"a very long network type\", "
                + "\"battery_pct\": 101, \"temperature_c\": \"hot\"}'", Duration.ofSeconds(10));
        assertThat(h).containsOnlyKeys("probe_error");
        assertThat((String) h.get("probe_error")).contains("signal_dbm", "battery_pct", "temperature_c", "network_type");
    }

    @Test
    void aCommandThatHangsFailsOrPrintsJunkIsReportedNotWaitedFor() throws Exception {
        long t0 = System.nanoTime();
        assertThat(HealthProbe.run("sleep 30", Duration.ofMillis(500))).containsEntry("probe_error", "health command timed out after 500 ms");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        assertThat(HealthProbe.run("exit 3", Duration.ofSeconds(10))).containsEntry("probe_error", "health command exited with 3");
        assertThat(HealthProbe.run("echo not json", Duration.ofSeconds(10)))
                .containsEntry("probe_error", "health command did not print a JSON object");
        assertThat(HealthProbe.run("echo '[1,2]'", Duration.ofSeconds(10)))
                .containsEntry("probe_error", "health command did not print a JSON object");
        // Far more output than the 64 KiB read: cut off (so not JSON), and the command is not blocked on its pipe.
        assertThat(HealthProbe.run("head -c 1000000 /dev/zero", Duration.ofSeconds(10)))
                .containsEntry("probe_error", "health command did not print a JSON object");
    }

    @Test
    void theAgentConfigFileCarriesTheHealthCommand() throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        DeviceConfig c = mapper.readValue("""
                {"id": "5b0f0c52-4d0e-4f43-9b3c-7c1a1a2b3c4d", "token": "at_x", "bind": "default",
                 "health_command": "/opt/farm/phone-health R58N"}""", DeviceConfig.class);
        assertThat(c.healthCommand()).isEqualTo("/opt/farm/phone-health R58N");
        assertThat(c.pool()).isEqualTo(2);
        assertThat(c.toString()).doesNotContain("at_x");
    }
}
