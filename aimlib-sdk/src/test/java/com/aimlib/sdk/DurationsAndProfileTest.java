package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DurationsAndProfileTest {
    @Test
    void durationStringsAreSecondsWithAnOptionalUnit() {
        assertThat(Durations.seconds("30s")).isEqualTo(30);
        assertThat(Durations.seconds("10m")).isEqualTo(600);
        assertThat(Durations.seconds("1h")).isEqualTo(3600);
        assertThat(Durations.seconds("300")).isEqualTo(300);
        assertThat(Durations.seconds(" 5M ")).isEqualTo(300);
        assertThat(Durations.seconds("1.5m")).isEqualTo(90);
        assertThat(Durations.seconds("0.5")).isEqualTo(1);
        assertThat(Durations.seconds(Duration.ofMillis(1500))).isEqualTo(2);
        assertThat(Durations.seconds(Duration.ofMinutes(5))).isEqualTo(300);
        for (String bad : new String[] {"", "10x", "m", "-5", "1d", "ten"}) {
            assertThatThrownBy(() -> Durations.seconds(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void optionsSendWholeSecondsAndOnlyWhatWasSet() throws Exception {
        BrowserOptions o = BrowserOptions.builder().profile("pixel-8-pro").ttl("10m").idleTimeout(Duration.ofSeconds(90)).sticky(true).build();
        assertThat(Transport.MAPPER.writeValueAsString(o.request()))
                .isEqualTo("{\"ttl\":600,\"idle_timeout\":90,\"sticky\":true,\"profile\":{\"device\":\"pixel-8-pro\"}}");
        assertThat(Transport.MAPPER.writeValueAsString(BrowserOptions.builder().ttl(45).build().request())).isEqualTo("{\"ttl\":45}");
        assertThat(Transport.MAPPER.writeValueAsString(BrowserOptions.defaults().request())).isEqualTo("{}");
    }

    @Test
    void profileSerialisesTheSevenTypedFieldsWithScreenAsAnArray() throws Exception {
        Profile p = Profile.builder().device("pixel-8-pro").timezone("America/Los_Angeles").locale("en-US")
                .cores(4).ramGb(8).screen(1440, 3120).dpi(512).build();
        assertThat(Transport.MAPPER.writeValueAsString(BrowserOptions.builder().profile(p).build().request())).isEqualTo(
                "{\"profile\":{\"device\":\"pixel-8-pro\",\"timezone\":\"America/Los_Angeles\",\"locale\":\"en-US\","
                        + "\"cores\":4,\"ram_gb\":8,\"screen\":[1440,3120],\"dpi\":512}}");
        assertThat(Profile.builder().timezone("US/Pacific").build().toMap()).containsExactly(Map.entry("timezone", "US/Pacific"));
        Map<String, Object> raw = Map.of("webgl", true);
        assertThat(BrowserOptions.builder().profile(raw).build().request().profile()).isEqualTo(raw);
    }

    @Test
    void theErrorTableMapsEachDocumentedCode() {
        assertThat(Errors.from(Transport.MAPPER, 429, "{\"error\":\"capacity_unavailable\",\"message\":\"device session cap reached\"}"))
                .isExactlyInstanceOf(CapacityException.class).hasMessage("capacity_unavailable: device session cap reached");
        assertThat(Errors.from(Transport.MAPPER, 403, "{\"error\":\"lease_inactive\"}")).isExactlyInstanceOf(LeaseInactiveException.class);
        assertThat(Errors.from(Transport.MAPPER, 409, "{\"error\":\"data_cap_exceeded\"}")).isExactlyInstanceOf(DataCapException.class);
        assertThat(Errors.from(Transport.MAPPER, 410, "{\"error\":\"session_expired\"}")).isExactlyInstanceOf(SessionExpiredException.class);
        assertThat(Errors.from(Transport.MAPPER, 425, "{\"error\":\"session_provisioning\",\"retry_after\":\"5\"}"))
                .isExactlyInstanceOf(SessionTimeoutException.class);
        assertThat(Errors.from(Transport.MAPPER, 400, "{\"error\":\"profile_invalid\",\"message\":\"x\"}"))
                .isExactlyInstanceOf(AimlibException.class).hasMessage("{\"error\":\"profile_invalid\",\"message\":\"x\"}");
        assertThat(Errors.from(Transport.MAPPER, 502, "")).isExactlyInstanceOf(AimlibException.class).hasMessage("HTTP 502");
        assertThat(Errors.from(Transport.MAPPER, 502, "<html>bad gateway</html>")).hasMessage("<html>bad gateway</html>");
    }
}
