package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.host.BrowserHost;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A gateway (with its in-process host) that dies and comes back: nothing stuck, nothing orphaned. */
class BrowserRestartTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(4);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void afterARestartNoSessionIsStuckAndNoBrowserIsOrphaned() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
        UUID ready = UUID.fromString(c.get("session_id").asText());
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        Map.Entry<Long, Path> browser = fx.host.browserOf(ready).orElseThrow();
        BrowserFixture.Tenant t2 = fx.tenant();
        UUID provisioning = fx.insertSession(t2, "provisioning", "x".repeat(48), fx.clock.instant().plusSeconds(600), fx.host.id(), null);

        // The process dies: the host forgets its browsers without killing them, the gateway stops.
        fx.host.abandon();
        assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive)).contains(true);

        // A new gateway on the same database, with its in-process host on the same work dir.
        // (Its bridges chain to the first gateway's SOCKS5 front, which the devices' agents are connected to.)
        try (Gateway again = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(fx.clock).build(), fx.db, fx.box,
                BrowserSettings.defaults().manualReaper());
             BrowserHost host = BrowserHost.start(fx.hostSettings(4), again.sessions())) {
            assertThat(host.id()).isEqualTo(fx.host.id());
            assertThat(fx.statusOf(ready)).isEqualTo("failed");
            assertThat(fx.statusOf(provisioning)).isEqualTo("failed");
            int stuck = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE status IN ('requested','provisioning')")
                    .mapTo(Integer.class).one());
            assertThat(stuck).isZero();
            Instant end = Instant.now().plusSeconds(10);
            while (Instant.now().isBefore(end) && ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)) {
                Thread.sleep(20);
            }
            assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(ProcessHandleTestSupport.browsersUnder(browser.getValue())).isEmpty();
            assertThat(Files.exists(browser.getValue())).isFalse();
            // and the restarted pair serves a new session on the same device
            String base = "http://127.0.0.1:" + again.httpPort();
            var http = java.net.http.HttpClient.newHttpClient();
            var post = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/devices/" + t.device() + "/browser"))
                    .header("Authorization", "Bearer " + t.key()).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(201);
            UUID next = UUID.fromString(BrowserFixture.json(post).get("session_id").asText());
            Instant until = Instant.now().plusSeconds(30);
            while (Instant.now().isBefore(until) && !"ready".equals(fx.statusOf(next))) {
                Thread.sleep(20);
            }
            assertThat(fx.statusOf(next)).isEqualTo("ready");
        }
        fx.host = BrowserHost.start(fx.hostSettings(4), fx.gateway.sessions());
    }
}
