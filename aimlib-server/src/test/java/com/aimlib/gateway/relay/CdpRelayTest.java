package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.aimlib.testing.RawHttp;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The relay's documented answers, discovery, page targets and 50 MB messages. */
class CdpRelayTest {
    static BrowserFixture fx;
    static BrowserFixture.Tenant tenant;
    static final String TOKEN = "a".repeat(48);

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(50);
        tenant = fx.tenant();
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private UUID row(String status, Instant expires, boolean withPort) {
        return fx.insertSession(tenant, status, TOKEN, expires, fx.host.id(), withPort ? 1 : null);
    }

    private static Instant later() {
        return fx.clock.instant().plusSeconds(600);
    }

    @Test
    void unknownSessionIs404() throws Exception {
        assertThat(fx.wsUpgrade("/cdp/" + UUID.randomUUID(), TOKEN)).startsWith("HTTP/1.1 404")
                .endsWith("{\"error\":\"session_not_found\"}");
        assertThat(fx.wsUpgrade("/cdp/not-a-uuid", TOKEN)).startsWith("HTTP/1.1 404");
        assertThat(fx.call("GET", "/cdp/" + UUID.randomUUID() + "/json/version", TOKEN, null).statusCode()).isEqualTo(404);
    }

    @Test
    void missingOrWrongTokenIs401() throws Exception {
        UUID id = row("ready", later(), true);
        assertThat(fx.wsUpgrade("/cdp/" + id, null)).startsWith("HTTP/1.1 401").endsWith("{\"error\":\"unauthorized\"}");
        assertThat(fx.wsUpgrade("/cdp/" + id, "b".repeat(48))).startsWith("HTTP/1.1 401");
        assertThat(fx.call("GET", "/cdp/" + id + "/json/version", "b".repeat(48), null).statusCode()).isEqualTo(401);
    }

    @Test
    void provisioningIs425WithRetryAfter() throws Exception {
        for (String s : new String[] {"requested", "provisioning"}) {
            UUID id = row(s, later(), false);
            String r = fx.wsUpgrade("/cdp/" + id, TOKEN);
            assertThat(r).startsWith("HTTP/1.1 425").containsIgnoringCase("retry-after: 5")
                    .endsWith("{\"error\":\"session_provisioning\",\"message\":\"session is still provisioning\",\"retry_after\":\"5\"}");
            HttpResponse<String> d = fx.call("GET", "/cdp/" + id + "/json/version", TOKEN, null);
            assertThat(d.statusCode()).isEqualTo(425);
            assertThat(d.headers().firstValue("Retry-After")).contains("5");
            assertThat(BrowserFixture.json(d).get("retry_after").isTextual()).as("retry_after is the string \"5\"").isTrue();
            assertThat(d.body()).isEqualTo("{\"error\":\"session_provisioning\",\"message\":\"session is still provisioning\",\"retry_after\":\"5\"}");
            assertThat(fx.wsUpgrade("/cdp/" + id + "/", TOKEN)).as("trailing slash").startsWith("HTTP/1.1 425");
        }
    }

    @Test
    void tornDownSessionsAre410() throws Exception {
        for (String s : new String[] {"expiring", "gone", "failed"}) {
            UUID id = row(s, later(), true);
            assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 410").contains("{\"error\":\"session_expired\"");
        }
    }

    @Test
    void pastItsTtlIs403SessionExpired() throws Exception {
        UUID id = row("ready", fx.clock.instant().minusSeconds(1), true);
        assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 403").contains("{\"error\":\"session_expired\"");
    }

    @Test
    void endedLeaseIs403LeaseInactive() throws Exception {
        BrowserFixture.Tenant other = fx.tenant();
        UUID id = fx.insertSession(other, "ready", TOKEN, later(), fx.host.id(), 1);
        fx.accounts.endLease(other.lease());
        assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 403")
                .endsWith("{\"error\":\"lease_inactive\",\"message\":\"no active lease with a proxy on this device\"}");
    }

    @Test
    void suspendedCustomerIs403LeaseInactive() throws Exception {
        BrowserFixture.Tenant other = fx.tenant();
        UUID id = fx.insertSession(other, "ready", TOKEN, later(), fx.host.id(), 1);
        fx.accounts.updateCustomer(other.customer(), "suspended", null);
        assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 403").contains("{\"error\":\"lease_inactive\"");
        HttpResponse<String> d = fx.call("GET", "/cdp/" + id + "/json/version", TOKEN, null);
        assertThat(d.statusCode()).isEqualTo(403);
        assertThat(BrowserFixture.json(d).get("error").asText()).isEqualTo("lease_inactive");
    }

    @Test
    void sessionWithoutABrowserEndpointIs503HostUnavailable() throws Exception {
        UUID id = row("ready", later(), false);
        assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 503").contains("{\"error\":\"host_unavailable\"");
        UUID dead = row("idle", later(), true);
        assertThat(fx.wsUpgrade("/cdp/" + dead, TOKEN)).startsWith("HTTP/1.1 503").contains("{\"error\":\"host_unavailable\"");
    }

    @Test
    void discoveryPointsBackAtTheGatewayAndPageTargetsRelayFiftyMegabyteMessages() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        String id = s.id().toString();
        String token = s.token();
        String gw = "ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id;

        for (String path : new String[] {"/json/version", "/json/version/"}) {
            HttpResponse<String> v = fx.call("GET", "/cdp/" + id + path, token, null);
            assertThat(v.statusCode()).isEqualTo(200);
            assertThat(BrowserFixture.json(v).get("webSocketDebuggerUrl").asText()).isEqualTo(gw);
        }
        String pageUrl = null;
        for (String path : new String[] {"/json/list", "/json/list/", "/json", "/json/"}) {
            HttpResponse<String> l = fx.call("GET", "/cdp/" + id + path, token, null);
            assertThat(l.statusCode()).isEqualTo(200);
            JsonNode list = BrowserFixture.json(l);
            assertThat(list.isArray()).isTrue();
            for (JsonNode n : list) {
                if ("page".equals(n.path("type").asText())) {
                    pageUrl = n.get("webSocketDebuggerUrl").asText();
                }
            }
        }
        assertThat(pageUrl).startsWith(gw + "/devtools/page/");

        CdpClient page = CdpClient.open(pageUrl, token);
        assertThat(page.call("{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"1+1\"}}"))
                .contains("\"value\":2");
        String big = page.call("{\"id\":2,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"'x'.repeat(50*1024*1024)\",\"returnByValue\":true}}");
        assertThat(big.length()).isGreaterThan(50 * 1024 * 1024);
        page.close();

        CdpClient browser = CdpClient.open(gw, token);
        assertThat(browser.call("{\"id\":1,\"method\":\"Browser.getVersion\"}")).contains("\"product\"");
        browser.close();
        // another tenant's key or token never reaches this session
        BrowserFixture.Tenant other = fx.tenant();
        assertThat(fx.wsUpgrade("/cdp/" + id, TOKEN)).startsWith("HTTP/1.1 401");
        assertThat(fx.call("GET", "/v1/devices/" + t.device() + "/browser", other.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", other.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
    }

    @Test
    void behindATlsTerminatorConnectAndDiscoveryUrlsAreWssAtThePublicUrl() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        String id = s.id().toString();
        String token = s.token();
        String wss = "wss://uswest1.example.test/cdp/" + id;
        // a second replica on the same database, configured with the public URL customers use
        try (Gateway pub = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(fx.clock)
                .publicUrl("https://uswest1.example.test/").build(), fx.db, fx.box, BrowserSettings.defaults().manualReaper())) {
            HttpClient http = HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, HttpResponse<String>> get = (path, key) -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(pub.baseUrl() + path)).header("Authorization", "Bearer " + key).build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            JsonNode session = BrowserFixture.json(get.apply("/v1/devices/" + t.device() + "/browser", t.key()));
            assertThat(session.get("connect_url").asText()).isEqualTo(wss);
            JsonNode version = BrowserFixture.json(get.apply("/cdp/" + id + "/json/version", token));
            assertThat(version.get("webSocketDebuggerUrl").asText()).isEqualTo(wss);
            JsonNode list = BrowserFixture.json(get.apply("/cdp/" + id + "/json/list", token));
            assertThat(list.findValuesAsText("webSocketDebuggerUrl")).isNotEmpty().allMatch(u -> u.startsWith(wss + "/devtools/"));
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void relayConnectionOutlivesTheHttpDeadlines() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        Duration deadline = Duration.ofMillis(300);
        // a replica whose idle, header and body deadlines are all far shorter than the pause below
        try (Gateway strict = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(fx.clock)
                .httpIdleTimeout(deadline).httpHeaderTimeout(deadline).httpBodyTimeout(deadline).build(),
                fx.db, fx.box, BrowserSettings.defaults().manualReaper())) {
            CdpClient browser = CdpClient.open("ws://127.0.0.1:" + strict.httpPort() + "/cdp/" + s.id(), s.token());
            assertThat(browser.call("{\"id\":1,\"method\":\"Browser.getVersion\"}")).contains("\"product\"");
            Thread.sleep(5 * deadline.toMillis());
            assertThat(browser.call("{\"id\":2,\"method\":\"Browser.getVersion\"}")).contains("\"product\"");
            browser.close();
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void unsupportedWebSocketVersionIs426InTheEnvelope() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        try (RawHttp c = new RawHttp(fx.gateway.httpPort())) {
            RawHttp.Reply r = c.send("GET /cdp/" + s.id() + " HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\nAuthorization: Bearer " + s.token()
                    + "\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(426);
            assertThat(r.headers()).containsEntry("sec-websocket-version", "13");
            assertThat(r.body()).isEqualTo("{\"error\":\"upgrade_required\",\"message\":\"unsupported WebSocket version; use 13\"}");
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }
}
