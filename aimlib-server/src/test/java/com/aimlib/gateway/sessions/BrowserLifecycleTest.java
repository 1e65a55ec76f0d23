package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.BrowserFixture.Live;
import com.aimlib.testing.CdpClient;
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
import org.junit.jupiter.api.TestInfo;

/** Sessions moved on time (injected clock): TTL, idle, lease end, dead hosts; crashes; the bridge's data cap. */
class BrowserLifecycleTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(20) : new BrowserFixture(20);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static Live ready(String body) throws Exception {
        return fx.ready(fx.tenant(), body);
    }

    static void awaitState(UUID id, String state) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(end) && !state.equals(fx.statusOf(id))) {
            Thread.sleep(20);
        }
        assertThat(fx.statusOf(id)).isEqualTo(state);
    }

    static void assertBrowserGone(Map.Entry<Long, Path> browser) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(end) && (Files.exists(browser.getValue()) || !ProcessHandleTestSupport.browsersUnder(browser.getValue()).isEmpty())) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(ProcessHandleTestSupport.browsersUnder(browser.getValue())).isEmpty();
        assertThat(Files.exists(browser.getValue())).isFalse();
    }

    @Test
    void sessionExpiresAtItsTtl() throws Exception {
        Live s = ready("{\"ttl\":120,\"idle_timeout\":1000}");
        var browser = fx.host.browserOf(s.id()).orElseThrow();
        fx.advance(Duration.ofSeconds(60));
        fx.gateway.reaper().reap();
        assertThat(fx.statusOf(s.id())).isEqualTo("ready");
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 101");
        fx.advance(Duration.ofSeconds(61));
        // past expires_at but not yet reaped: the relay says 403 session_expired
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 403").contains("session_expired");
        assertThat(fx.gateway.reaper().reap()).contains(s.id());
        awaitState(s.id(), "gone");
        assertBrowserGone(browser);
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 410");
    }

    @Test
    void sessionWithoutRelayTrafficExpiresAfterItsIdleTimeoutAndTrafficKeepsItAlive() throws Exception {
        Live quiet = ready("{\"idle_timeout\":30}");
        Live busy = ready("{\"idle_timeout\":30}");
        CdpClient client = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + busy.id(), busy.token());
        awaitState(busy.id(), "active");
        for (int i = 0; i < 3; i++) {
            fx.advance(Duration.ofSeconds(20));
            assertThat(client.call("{\"id\":" + i + ",\"method\":\"Browser.getVersion\"}")).contains("product");
            fx.gateway.reaper().reap();
            if (i == 1) {
                assertThat(fx.statusOf(quiet.id())).isEqualTo("gone".equals(fx.statusOf(quiet.id())) ? "gone" : "expiring");
            }
        }
        assertThat(fx.statusOf(busy.id())).isEqualTo("active");
        awaitState(quiet.id(), "gone");
        client.close();
        awaitState(busy.id(), "idle");
        fx.advance(Duration.ofSeconds(31));
        fx.gateway.reaper().reap();
        awaitState(busy.id(), "gone");
    }

    @Test
    void sessionEndsWithItsLease() throws Exception {
        Live s = ready("{}");
        fx.accounts.endLease(s.tenant().lease());
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 403").contains("lease_inactive");
        fx.gateway.reaper().reap();
        awaitState(s.id(), "gone");
        assertThat(fx.host.browserOf(s.id())).isEmpty();
    }

    @Test
    void endingALeaseThroughTheAdminApiExpiresItsSessionWithoutTheReaper() throws Exception {
        Live s = ready("{}");
        var browser = fx.host.browserOf(s.id()).orElseThrow();
        var ended = fx.call("POST", "/admin/v1/leases/" + s.tenant().lease() + "/end", fx.operatorKey, null);
        assertThat(ended.statusCode()).as(ended.body()).isEqualTo(200);
        // no reaper pass here (the fixture's reaper is manual): the admin API's hook did it
        awaitState(s.id(), "gone");
        assertBrowserGone(browser);
        assertThat(fx.call("GET", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 403").contains("lease_inactive");
    }

    @Test
    void aLeaseCreatedThroughTheAdminApiIsPreboundAtOnce() throws Exception {
        UUID customer = fx.accounts.createCustomer("prebound-" + UUID.randomUUID(), 5).id();
        UUID withProxy = fx.accounts.createDevice("prebound-a-" + UUID.randomUUID(), "local", "test", 1, null).id();
        UUID withoutProxy = fx.accounts.createDevice("prebound-b-" + UUID.randomUUID(), "local", "test", 1, null).id();
        var a = fx.call("POST", "/admin/v1/leases", fx.operatorKey, "{\"customer_id\":\"" + customer + "\",\"device_id\":\"" + withProxy + "\"}");
        var b = fx.call("POST", "/admin/v1/leases", fx.operatorKey,
                "{\"customer_id\":\"" + customer + "\",\"device_id\":\"" + withoutProxy + "\",\"protocol\":\"none\"}");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
        assertThat(b.statusCode()).as(b.body()).isEqualTo(201);
        // no reaper pass (manual) and no GET …/browser (which pre-binds lazily): the row exists when the 201 is out
        assertThat(rowsOfLease(BrowserFixture.json(a).get("id").asText())).containsExactly("idle host=null token=false");
        assertThat(rowsOfLease(BrowserFixture.json(b).get("id").asText())).isEmpty();
    }

    static java.util.List<String> rowsOfLease(String lease) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT status || ' host=' || COALESCE(host_id::text, 'null') || ' token=' || (connect_token_hash IS NOT NULL)
                        FROM browser_sessions WHERE lease_id = :l""")
                .bind("l", UUID.fromString(lease)).mapTo(String.class).list());
    }

    @Test
    void sessionsOfAHostThatStopsHeartBeatingFail() throws Exception {
        Live s = ready("{}");
        fx.clock.advance(Duration.ofSeconds(9));
        fx.gateway.reaper().reap();
        awaitState(s.id(), "failed");
        String reason = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT failure_reason FROM browser_sessions WHERE id = :id")
                .bind("id", s.id()).mapTo(String.class).one());
        assertThat(reason).isEqualTo("host stopped heart-beating");
        fx.gateway.sessions().heartbeat(fx.host.id());
        Instant end = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(end) && fx.host.browserOf(s.id()).isPresent()) {
            Thread.sleep(20);
        }
        assertThat(fx.host.browserOf(s.id())).isEmpty();
    }

    @Test
    void aCrashedBrowserFailsItsSession() throws Exception {
        Live s = ready("{}");
        var browser = fx.host.browserOf(s.id()).orElseThrow();
        new ProcessBuilder("kill", "-9", Long.toString(browser.getKey())).start().waitFor();
        awaitState(s.id(), "failed");
        assertBrowserGone(browser);
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 410");
        assertThat(fx.call("GET", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null).statusCode()).isEqualTo(404);
    }

    @Test
    void theBridgeEnforcesTheSessionDataCap() throws Exception {
        BrowserFixture.Tenant t = fx.tenant(5, 1, 300_000L, Duration.ofHours(1));
        Live s = fx.ready(t, "{}");
        long cap = 300_000L;
        CdpClient page = CdpClient.open(pageUrl(s), s.token());
        page.call("{\"id\":1,\"method\":\"Page.navigate\",\"params\":{\"url\":\"" + fx.whoami.url("/big") + "\"}}");
        Thread.sleep(1500);
        String len = page.call("{\"id\":2,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"document.body ? document.body.innerText.length : -1\"}}");
        page.close();
        assertThat(len).doesNotContain("\"value\":1048576");
        long used = fx.host.bytesOf(s.id());
        assertThat(used).isGreaterThan(0).isLessThan(cap + 70_000);
    }

    static String pageUrl(Live s) throws Exception {
        JsonNode list = BrowserFixture.json(fx.call("GET", "/cdp/" + s.id() + "/json/list", s.token(), null));
        for (JsonNode n : list) {
            if ("page".equals(n.path("type").asText())) {
                return n.get("webSocketDebuggerUrl").asText();
            }
        }
        throw new AssertionError("no page target");
    }
}
