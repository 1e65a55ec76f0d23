package com.aimlib.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.http.HttpLimits;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The documented gateway settings: browser (max tabs 5, pre-bound idle session on) and HTTP (deadlines, connection cap, scraper port). */
class GatewayOptionsTest {

    static GatewayConfig parse(String... args) {
        GatewayCommand cmd = new GatewayCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.options.config();
    }

    @Test
    void defaultsAreFiveTabsAndAutoBrowserSessionOn() {
        assertThat(System.getenv("FARMCTL_MAX_TABS_PER_SESSION")).as("test environment").isNull();
        assertThat(System.getenv("FARMCTL_AUTO_BROWSER_SESSION")).as("test environment").isNull();
        GatewayConfig c = parse();
        assertThat(c.maxTabs()).isEqualTo(5);
        assertThat(c.autoBrowserSession()).isTrue();
    }

    @Test
    void bothAreConfigurable() {
        GatewayConfig c = parse("--max-tabs-per-session", "8", "--auto-browser-session", "false");
        assertThat(c.maxTabs()).isEqualTo(8);
        assertThat(c.autoBrowserSession()).isFalse();
        assertThat(parse("--auto-browser-session", "1").autoBrowserSession()).isTrue();
        assertThat(parse("--auto-browser-session", "OFF").autoBrowserSession()).isFalse();
    }

    @Test
    void deviceHealthIntervalAndUnhealthyAfterAreConfigurable() {
        GatewayConfig d = parse();
        assertThat(d.deviceHealth().interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(d.deviceHealth().unhealthyAfter()).isEqualTo(Duration.ofSeconds(120));
        GatewayConfig c = parse("--device-health-interval", "5", "--device-unhealthy-after", "30");
        assertThat(c.deviceHealth().interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.deviceHealth().unhealthyAfter()).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> parse("--device-unhealthy-after", "0")).hasMessageContaining("AIMLIB_DEVICE_UNHEALTHY_AFTER");
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> parse("--max-tabs-per-session", "0")).hasMessageContaining("FARMCTL_MAX_TABS_PER_SESSION");
        assertThatThrownBy(() -> parse("--auto-browser-session", "maybe")).hasMessageContaining("FARMCTL_AUTO_BROWSER_SESSION");
    }

    @Test
    void publicUrlGivesTheWebSocketBase() {
        assertThat(parse().publicWsBase()).isNull();
        assertThat(parse("--public-url", "https://uswest1.aimlib.com/").publicWsBase()).isEqualTo("wss://uswest1.aimlib.com");
        assertThat(parse("--public-url", "http://10.0.0.5:8080").publicWsBase()).isEqualTo("ws://10.0.0.5:8080");
        assertThatThrownBy(() -> parse("--public-url", "https://uswest1.aimlib.com/v1")).hasMessageContaining("without a path");
        assertThatThrownBy(() -> parse("--public-url", "uswest1.aimlib.com")).hasMessageContaining("http(s)://");
    }

    @Test
    void httpDeadlinesAndCapHaveDocumentedDefaultsAndAreConfigurable() {
        for (String env : new String[] {"AIMLIB_HTTP_IDLE_TIMEOUT", "AIMLIB_HTTP_HEADER_TIMEOUT", "AIMLIB_HTTP_BODY_TIMEOUT",
                "AIMLIB_HTTP_MAX_CONNECTIONS", "AIMLIB_METRICS_PORT", "AIMLIB_METRICS_HOST"}) {
            assertThat(System.getenv(env)).as("test environment " + env).isNull();
        }
        GatewayConfig d = parse();
        assertThat(d.httpLimits()).isEqualTo(HttpLimits.DEFAULTS);
        assertThat(d.httpLimits().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.httpLimits().headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.httpLimits().bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.httpLimits().maxConnections()).isEqualTo(10_000);
        assertThat(d.metricsPort()).isNull();
        GatewayConfig c = parse("--http-idle-timeout", "5", "--http-header-timeout", "2", "--http-body-timeout", "3",
                "--http-max-connections", "50", "--metrics-port", "9464", "--metrics-host", "10.0.0.2");
        assertThat(c.httpLimits()).isEqualTo(new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(3), 50));
        assertThat(c.metricsPort()).isEqualTo(9464);
        assertThat(c.metricsHost()).isEqualTo("10.0.0.2");
        assertThatThrownBy(() -> parse("--http-idle-timeout", "0")).hasMessageContaining("AIMLIB_HTTP_IDLE_TIMEOUT");
        assertThatThrownBy(() -> parse("--http-max-connections", "0")).hasMessageContaining("AIMLIB_HTTP_MAX_CONNECTIONS");
    }
}
