package com.aimlib.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The documented browser settings: max tabs per session (default 5) and the pre-bound idle session (default on). */
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
}
