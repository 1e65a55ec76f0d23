package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.store.Accounts;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.Curl;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** {@code GET /v1/sessions} and {@code GET /v1/sessions/{id}} (issue 14), through curl. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SessionListApiTest {
    static BrowserFixture fx;
    /** One customer with two devices, each with a ready session. */
    static BrowserFixture.Tenant t;
    static UUID device2;
    static UUID s1;
    static UUID s2;
    static String token1;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(10);
        t = fx.tenant();
        Accounts.Device d = fx.accounts.createDevice("second-" + UUID.randomUUID(), "local", "test", 1, null);
        fx.startAgent(d.id());
        fx.accounts.createLease(t.customer(), d.id(), fx.clock.instant().plus(Duration.ofHours(2)), "socks5");
        device2 = d.id();
        JsonNode a = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"ttl\":600}"));
        s1 = UUID.fromString(a.get("session_id").asText());
        token1 = a.get("connect_token").asText();
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        JsonNode b = BrowserFixture.json(fx.call("POST", "/v1/devices/" + device2 + "/browser", t.key(), "{\"start_url\":\"example.com\"}"));
        s2 = UUID.fromString(b.get("session_id").asText());
        awaitStatus(s2, "ready");
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static Curl.Reply get(String path, String key) throws Exception {
        return Curl.call("GET", "http://127.0.0.1:" + fx.gateway.httpPort() + path, key, null);
    }

    static JsonNode json(Curl.Reply r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    static void awaitStatus(UUID id, String want) throws Exception {
        Instant end = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(end) && !want.equals(fx.statusOf(id))) {
            Thread.sleep(20);
        }
        assertThat(fx.statusOf(id)).isEqualTo(want);
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("data").forEach(n -> out.add(n.get("session_id").asText()));
        return out;
    }

    @Test
    @Order(1)
    void listsTheCallersLiveSessionsAcrossDevicesNewestFirst() throws Exception {
        Curl.Reply r = get("/v1/sessions", t.key());
        assertThat(r.status()).isEqualTo(200);
        JsonNode page = json(r);
        assertThat(ids(page)).containsExactly(s2.toString(), s1.toString());
        assertThat(page.get("next_cursor").isNull()).isTrue();
        JsonNode first = page.get("data").get(1);
        assertThat(first.get("device_id").asText()).isEqualTo(t.device().toString());
        assertThat(first.get("status").asText()).isEqualTo("ready");
        assertThat(first.get("egress_ip").asText()).isEqualTo(BrowserFixture.EGRESS);
        assertThat(first.get("connect_url").asText()).endsWith("/cdp/" + s1);
        assertThat(first.get("bytes_used").isIntegralNumber()).isTrue();
        assertThat(first.get("created_at").asText()).isNotEmpty();
        assertThat(first.get("started_at").asText()).isNotEmpty();
        assertThat(first.get("expires_at").asText()).isNotEmpty();
        assertThat(first.get("ended_at").isNull()).isTrue();
        assertThat(first.get("end_reason").isNull()).isTrue();
        assertThat(first.get("duration_s").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(first.has("connect_token")).as("the token is shown only at create").isFalse();
        assertThat(page.get("data").get(0).get("device_id").asText()).isEqualTo(device2.toString());
        assertThat(page.get("data").get(0).get("start_url").asText()).isEqualTo("https://example.com");
    }

    @Test
    @Order(2)
    void pagesWithAnOpaqueCursor() throws Exception {
        JsonNode p1 = json(get("/v1/sessions?limit=1", t.key()));
        assertThat(ids(p1)).containsExactly(s2.toString());
        String cursor = p1.get("next_cursor").asText();
        assertThat(cursor).isNotEmpty();
        JsonNode p2 = json(get("/v1/sessions?limit=1&cursor=" + cursor, t.key()));
        assertThat(ids(p2)).containsExactly(s1.toString());
        assertThat(p2.get("next_cursor").isNull()).isTrue();
    }

    @Test
    @Order(3)
    void anotherCustomersKeySeesNoneOfThem() throws Exception {
        BrowserFixture.Tenant other = fx.tenant();
        JsonNode page = json(get("/v1/sessions?status=all", other.key()));
        assertThat(page.get("data")).isEmpty();
        for (UUID id : List.of(s1, s2)) {
            Curl.Reply r = get("/v1/sessions/" + id, other.key());
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).isEqualTo("{\"error\":\"session_not_found\"}");
        }
        assertThat(get("/v1/sessions/" + UUID.randomUUID(), t.key()).body()).isEqualTo("{\"error\":\"session_not_found\"}");
        assertThat(get("/v1/sessions/not-a-uuid", t.key()).body()).isEqualTo("{\"error\":\"bad id\"}");
    }

    @Test
    @Order(4)
    void needsProxiesReadAndAValidKey() throws Exception {
        String ticketsOnly = fx.accounts.mintKey(t.customer(), "tickets", Set.of("tickets.write"), null).plaintext();
        Curl.Reply r = get("/v1/sessions", ticketsOnly);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"error\":\"forbidden\",\"message\":\"missing scope proxies.read\"}");
        assertThat(get("/v1/sessions/" + s1, ticketsOnly).status()).isEqualTo(403);
        assertThat(get("/v1/sessions", null).body()).isEqualTo("{\"error\":\"unauthorized\"}");
    }

    @Test
    @Order(5)
    void badQueryParametersAreDocumented400s() throws Exception {
        Curl.Reply status = get("/v1/sessions?status=sleeping", t.key());
        assertThat(status.status()).isEqualTo(400);
        assertThat(json(status).get("error").asText()).isEqualTo("bad_request");
        assertThat(json(status).get("message").asText()).startsWith("status must be a comma-separated list of live, ended, all");
        assertThat(get("/v1/sessions?limit=0", t.key()).body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"limit must be between 1 and 100\"}");
        assertThat(get("/v1/sessions?limit=abc", t.key()).status()).isEqualTo(400);
        assertThat(get("/v1/sessions?cursor=%21%21", t.key()).body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"cursor is not one this endpoint returned\"}");
    }

    @Test
    @Order(6)
    void anEndedSessionShowsItsFinalStatusReasonDurationAndBytesUntilRetentionEnds() throws Exception {
        // Traffic first, so bytes_used has something to show.
        try (Playwright pw = Playwright.create()) {
            Browser b = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s1,
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + token1)));
            Page p = b.contexts().get(0).pages().get(0);
            p.navigate(fx.whoami.url("/ip"));
            assertThat(p.evaluate("() => fetch('" + fx.whoami.url("/big") + "').then(r => r.text()).then(t => t.length)"))
                    .isEqualTo(1024 * 1024);
            b.close();
        }
        Thread.sleep(1200); // at least a second of life, so duration_s is positive
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
        awaitStatus(s1, "gone");

        assertThat(ids(json(get("/v1/sessions", t.key())))).as("live by default").containsExactly(s2.toString());
        assertThat(ids(json(get("/v1/sessions?status=ended", t.key())))).containsExactly(s1.toString());
        assertThat(ids(json(get("/v1/sessions?status=gone,ready", t.key())))).containsExactly(s2.toString(), s1.toString());
        assertThat(ids(json(get("/v1/sessions?status=all", t.key())))).containsExactly(s2.toString(), s1.toString());

        JsonNode ended = json(get("/v1/sessions/" + s1, t.key()));
        assertThat(ended.get("status").asText()).isEqualTo("gone");
        assertThat(ended.get("end_reason").asText()).isEqualTo("stopped");
        assertThat(ended.get("ended_at").asText()).isNotEmpty();
        assertThat(ended.get("duration_s").asLong()).isPositive();
        assertThat(ended.get("bytes_used").asLong()).isGreaterThan(1024 * 1024);
        assertThat(ended.get("device_id").asText()).isEqualTo(t.device().toString());

        // The reaper records why: s2's 30-minute TTL passes.
        fx.advance(Duration.ofMinutes(31));
        fx.gateway.reaper().reap();
        awaitStatus(s2, "gone");
        JsonNode expired = json(get("/v1/sessions/" + s2, t.key()));
        assertThat(expired.get("status").asText()).isEqualTo("gone");
        assertThat(expired.get("end_reason").asText()).isEqualTo("ttl_expired");
        assertThat(ids(json(get("/v1/sessions", t.key())))).isEmpty();

        // Past the 7-day retention both are gone from both endpoints.
        fx.advance(Duration.ofDays(7).plusHours(1));
        assertThat(get("/v1/sessions/" + s1, t.key()).status()).isEqualTo(404);
        assertThat(get("/v1/sessions/" + s2, t.key()).body()).isEqualTo("{\"error\":\"session_not_found\"}");
        assertThat(json(get("/v1/sessions?status=all", t.key())).get("data")).isEmpty();
    }
}
