package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 14: Playwright's {@code browser.close()} only disconnects, leaving the session idle on the device's one slot;
 * the next create for the same (customer, device) adopts it (fresh token, the new TTL, idle timeout and profile).
 */
class SessionAdoptionTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(10) : new BrowserFixture(10);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static Browser connect(Playwright pw, UUID id, String token) {
        return pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id,
                new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + token)));
    }

    private static JsonNode post(BrowserFixture.Tenant t, String body, int want) throws Exception {
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(want);
        return BrowserFixture.json(r);
    }

    private static Map<String, Object> row(UUID id) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT ttl_s, idle_timeout_s, expires_at FROM browser_sessions WHERE id = :id")
                .bind("id", id).mapToMap().one());
    }

    @Test
    void aCreateAdoptsTheSessionPlaywrightLeftIdleAndRestartsItsBrowserOnlyForAnotherProfile() throws Exception {
        BrowserFixture.Tenant t = fx.tenant(); // device cap 1
        JsonNode a = post(t, "{\"ttl\":600,\"idle_timeout\":300,\"profile\":{\"device\":\"pixel-8\"}}", 201);
        UUID id = UUID.fromString(a.get("session_id").asText());
        String tokenA = a.get("connect_token").asText();
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        long pidA = fx.host.browserOf(id).orElseThrow().getKey();

        try (Playwright pw = Playwright.create()) {
            // A: drive it, then close the way Playwright users do.
            Browser ba = connect(pw, id, tokenA);
            Page pa = ba.contexts().get(0).pages().get(0);
            pa.navigate(fx.whoami.url("/a"));
            assertThat(pa.textContent("body")).isEqualTo(BrowserFixture.EGRESS);
            // While a client is connected the session is in use: a create is still refused by the device cap.
            fx.awaitStatus(t, "active", Duration.ofSeconds(10));
            assertThat(post(t, "{}", 429).get("message").asText()).isEqualTo("device session cap reached");
            ba.close();
            fx.awaitStatus(t, "idle", Duration.ofSeconds(10));

            // B: the documented 201 provisioning, the same session, a fresh token, B's TTL and idle timeout.
            Instant before = fx.clock.instant();
            JsonNode b = post(t, "{\"ttl\":900,\"idle_timeout\":60,\"profile\":{\"device\":\"pixel-8\"}}", 201);
            assertThat(b.get("status").asText()).isEqualTo("provisioning");
            assertThat(b.get("session_id").asText()).isEqualTo(id.toString());
            String tokenB = b.get("connect_token").asText();
            assertThat(tokenB).hasSize(48).isNotEqualTo(tokenA);
            assertThat(b.get("max_tabs").asInt()).isEqualTo(5);
            Instant expires = Instant.parse(b.get("expires_at").asText());
            assertThat(expires).isBetween(before.plusSeconds(899), before.plusSeconds(902));
            assertThat(row(id)).containsEntry("ttl_s", 900).containsEntry("idle_timeout_s", 60);
            JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            assertThat(ready.get("egress_ip").asText()).isEqualTo(BrowserFixture.EGRESS);
            assertThat(fx.host.browserOf(id).orElseThrow().getKey()).as("same profile: the browser is kept").isEqualTo(pidA);

            // The old token no longer opens the relay; the new one does, and A's tab is still there.
            assertThat(fx.wsUpgrade("/cdp/" + id, tokenA)).startsWith("HTTP/1.1 401");
            Browser bb = connect(pw, id, tokenB);
            Page pb = bb.contexts().get(0).pages().get(0);
            assertThat(pb.url()).isEqualTo(fx.whoami.url("/a"));
            pb.navigate(fx.whoami.url("/b"));
            assertThat(pb.textContent("body")).isEqualTo(BrowserFixture.EGRESS);
            bb.close();
            fx.awaitStatus(t, "idle", Duration.ofSeconds(10));

            // C: another profile: adopted again, with a fresh browser that has C's identity.
            JsonNode c = post(t, "{\"profile\":{\"device\":\"galaxy-s24-ultra\"}}", 201);
            assertThat(c.get("session_id").asText()).isEqualTo(id.toString());
            String tokenC = c.get("connect_token").asText();
            JsonNode readyC = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            assertThat(readyC.at("/resolved_profile/device").asText()).isEqualTo("galaxy-s24-ultra");
            assertThat(fx.host.browserOf(id).orElseThrow().getKey()).as("another profile: a new browser").isNotEqualTo(pidA);
            assertThat(ProcessHandle.of(pidA).map(ProcessHandle::isAlive).orElse(false)).as("A's browser is gone").isFalse();
            assertThat(row(id)).containsEntry("ttl_s", 1800).containsEntry("idle_timeout_s", 120);
            Browser bc = connect(pw, id, tokenC);
            Page pc = bc.contexts().get(0).pages().get(0);
            assertThat(pc.url()).isEqualTo("about:blank");
            // The reduced user agent names no model; client hints do (on a secure origin: loopback is one).
            pc.navigate(fx.whoami.url("/c"));
            assertThat(pc.evaluate("() => navigator.userAgentData.getHighEntropyValues(['model']).then(v => v.model)"))
                    .isEqualTo(readyC.at("/resolved_profile/model").asText()).isNotEqualTo("Pixel 8");
            bc.close();
        }
        // The adopted session is the device's one: DELETE stops it as usual.
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
        fx.awaitStatus(t, "404", Duration.ofSeconds(15));
    }

    @Test
    void anotherCustomersIdleSessionIsNeverAdopted() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        JsonNode a = post(t, "{}", 201);
        UUID id = UUID.fromString(a.get("session_id").asText());
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        try (Playwright pw = Playwright.create()) {
            connect(pw, id, a.get("connect_token").asText()).close();
        }
        fx.awaitStatus(t, "idle", Duration.ofSeconds(10));
        BrowserFixture.Tenant other = fx.tenant();
        // Another customer has no lease on this device: 403 as before, and the idle session keeps its token.
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", other.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(fx.statusOf(id)).isEqualTo("idle");
        assertThat(fx.wsUpgrade("/cdp/" + id, a.get("connect_token").asText())).startsWith("HTTP/1.1 101");
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
    }
}
