package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A host in its own process (as {@code aimlib host} runs it): orders and reports through the database only. */
class HostOrdersTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(1);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void aHostWithoutAnInProcessLinkBootsAndStopsSessionsFromTheDatabase() throws Exception {
        fx.host.close();
        fx.gateway.sessions().unregister(fx.host.id());
        BrowserSessions dbLink = new BrowserSessions(fx.db, fx.box, Clock.systemUTC(), BrowserSettings.defaults(), false, 5, () -> "", null);
        HostSettings s = fx.hostSettings(2);
        s = new HostSettings("remote-" + UUID.randomUUID(), s.region(), s.address(), 2, s.chromium(), Files.createTempDirectory("remote-host"),
                s.upstreamType(), s.upstream(), s.probeUrl(), s.heartbeatInterval(), s.bytesReportInterval(), 0, true);
        try (BrowserHost remote = BrowserHost.start(s, dbLink); HostOrders orders = new HostOrders(fx.db, fx.box, remote, 50)) {
            BrowserFixture.Tenant t = fx.tenant();
            JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            UUID id = UUID.fromString(c.get("session_id").asText());
            JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            assertThat(ready.get("egress_ip").asText()).isEqualTo(BrowserFixture.EGRESS);
            assertThat(fx.wsUpgrade("/cdp/" + id, c.get("connect_token").asText())).startsWith("HTTP/1.1 101");
            var browser = remote.browserOf(id).orElseThrow();
            assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
            fx.awaitStatus(t, "404", Duration.ofSeconds(15));
            java.time.Instant end = java.time.Instant.now().plusSeconds(10);
            while (java.time.Instant.now().isBefore(end) && !"gone".equals(fx.statusOf(id))) {
                Thread.sleep(20);
            }
            assertThat(fx.statusOf(id)).isEqualTo("gone");
            assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(Files.exists(browser.getValue())).isFalse();
        }
    }
}
