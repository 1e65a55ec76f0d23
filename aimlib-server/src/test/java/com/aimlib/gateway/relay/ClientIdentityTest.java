package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.host.BrowserHost;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relay's own part of the identity ({@link ClientIdentity}), alone: the host here applies no identity at all, so
 * whatever a new tab's first document shows of the profile was set by the relay on the client's own session as the
 * tab attached. Playwright ({@code newPage} + {@code goto}) and a raw CDP client (auto-attach paused, a new blank
 * target, then {@code Page.navigate}) both get the profile on the first request and in the first document's scripts;
 * neither sees a reply it did not ask for. ({@code Target.createTarget} with a URL starts its request before any
 * client hears of the target — Chromium does not hold it for an auto-attached debugger — see docs/identity.md.)
 */
class ClientIdentityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static BrowserFixture fx;
    static HttpServer origin;
    static final Map<String, Map<String, String>> headers = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(2);
        fx.host.close();
        fx.host = BrowserHost.start(fx.hostSettings(2).withIdentity(false), fx.gateway.sessions());
        // No spare tabs: they wait for the host's identity, which this host does not apply (SpareTabsTest has them).
        fx.gateway.cdpRelay().spareTabs(false);
        origin = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 50);
        origin.createContext("/", ex -> {
            Map<String, String> h = new ConcurrentHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), v.getFirst()));
            headers.put(ex.getRequestURI().toString(), h);
            byte[] body = "<!doctype html><title>t</title><script>window.seen = [navigator.userAgentData.mobile, navigator.platform, navigator.deviceMemory, screen.width, navigator.hardwareConcurrency]</script>"
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.start();
    }

    @AfterAll
    static void stop() {
        if (origin != null) {
            origin.stop(0);
        }
        fx.close();
    }

    private static String expected(JsonNode profile) {
        return JSON.createArrayNode().add(true).add("Linux aarch64").add(profile.path("device_memory").asDouble())
                .add(profile.path("css_screen").path(0).asInt()).add(profile.path("cores").asInt()).toString();
    }

    /** JS numbers as Java doubles, so 8 and 8.0 compare equal. */
    private static String normalised(String seen) throws Exception {
        JsonNode n = JSON.readTree(seen);
        ((com.fasterxml.jackson.databind.node.ArrayNode) n).set(2, JSON.getNodeFactory().numberNode(n.get(2).asDouble()));
        return n.toString();
    }

    private void assertFirstRequest(String path, JsonNode profile, String what) {
        Map<String, String> h = headers.get(path);
        assertThat(h).as(what + " reached the origin").isNotNull();
        assertThat(h.get("user-agent")).as(what).isEqualTo(profile.path("user_agent").asText());
        assertThat(h.get("sec-ch-ua-mobile")).as(what).isEqualTo("?1");
        assertThat(h.get("sec-ch-ua-platform")).as(what).isEqualTo("\"Android\"");
        assertThat(h.get("sec-ch-ua")).as(what).contains("\"Google Chrome\"");
    }

    @Test
    void newTabsOfPlaywrightAndRawCdpHaveTheProfileFromTheirFirstRequest() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{\"profile\":{\"device\":\"galaxy-s24-ultra\",\"cores\":6}}");
        JsonNode profile = fx.awaitStatus(t, "ready", java.time.Duration.ofSeconds(5)).path("resolved_profile");
        String base = "http://127.0.0.1:" + origin.getAddress().getPort();
        try (Playwright pw = Playwright.create();
             Browser browser = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(),
                     new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())))) {
            for (int i = 0; i < 3; i++) {
                Page page = browser.contexts().getFirst().newPage();
                page.navigate(base + "/pw" + i);
                assertFirstRequest("/pw" + i, profile, "playwright tab " + i);
                assertThat(normalised((String) page.evaluate("() => JSON.stringify(window.seen)"))).as("playwright tab " + i)
                        .isEqualTo(expected(profile));
                page.close();
            }
        }
        try (CdpClient cdp = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(), s.token())) {
            assertThat(JSON.readTree(cdp.call("{\"id\":1,\"method\":\"Target.setAutoAttach\",\"params\":{\"autoAttach\":true,"
                    + "\"waitForDebuggerOnStart\":true,\"flatten\":true}}")).path("id").asInt()).isEqualTo(1);
            cdp.events.clear();
            String target = JSON.readTree(cdp.call("{\"id\":2,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"))
                    .path("result").path("targetId").asText();
            String session = null;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); session == null && System.nanoTime() < end; ) {
                String e = cdp.events.poll(1, TimeUnit.SECONDS);
                JsonNode ev = e == null ? null : JSON.readTree(e);
                if (ev != null && "Target.attachedToTarget".equals(ev.path("method").asText())
                        && target.equals(ev.path("params").path("targetInfo").path("targetId").asText())) {
                    assertThat(ev.path("params").path("waitingForDebugger").asBoolean()).isTrue();
                    session = ev.path("params").path("sessionId").asText();
                }
            }
            assertThat(session).as("the raw client's own attach event").isNotNull();
            JsonNode resumed = JSON.readTree(cdp.call("{\"id\":3,\"sessionId\":\"" + session + "\",\"method\":\"Runtime.runIfWaitingForDebugger\"}"));
            assertThat(resumed.path("id").asInt()).as("the client gets its own reply, never one of the relay's").isEqualTo(3);
            JsonNode nav = JSON.readTree(cdp.call("{\"id\":4,\"sessionId\":\"" + session + "\",\"method\":\"Page.navigate\",\"params\":{\"url\":\"" + base + "/raw\"}}"));
            assertThat(nav.path("id").asInt()).isEqualTo(4);
            String seen = "";
            for (int id = 5; seen.isEmpty() && id < 200; id++) {
                JsonNode r = JSON.readTree(cdp.call("{\"id\":" + id + ",\"sessionId\":\"" + session + "\",\"method\":\"Runtime.evaluate\","
                        + "\"params\":{\"expression\":\"window.seen ? JSON.stringify(window.seen) : ''\",\"returnByValue\":true}}"));
                assertThat(r.path("id").asInt()).isEqualTo(id);
                seen = r.path("result").path("result").path("value").asText("");
                if (seen.isEmpty()) {
                    Thread.sleep(50);
                }
            }
            assertFirstRequest("/raw", profile, "raw CDP new tab");
            assertThat(normalised(seen)).as("raw CDP first document").isEqualTo(expected(profile));
            for (String e : cdp.events) {
                assertThat(e).as("no event of the relay's own calls reaches the client").doesNotContain("\"id\":2000000");
            }
        }
    }

    /**
     * A raw CDP client that does not auto-attach: it creates a blank tab, attaches to it ({@code Target.attachToTarget},
     * flat) and navigates at once. The tab is running already, so nothing gates it; the relay's overrides on the
     * client's session go ahead of that navigation all the same.
     */
    @Test
    void aRawClientThatAttachesToATabItCreatedAndNavigatesAtOnceGetsTheProfile() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{\"profile\":{\"device\":\"pixel-8a\",\"cores\":4}}");
        JsonNode profile = fx.awaitStatus(t, "ready", java.time.Duration.ofSeconds(5)).path("resolved_profile");
        String base = "http://127.0.0.1:" + origin.getAddress().getPort();
        try (CdpClient cdp = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(), s.token())) {
            for (int round = 0; round < 3; round++) {
                int id = 1000 * (round + 1);
                String target = JSON.readTree(cdp.call("{\"id\":" + id + ",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"))
                        .path("result").path("targetId").asText();
                JsonNode attached = JSON.readTree(cdp.call("{\"id\":" + (id + 1) + ",\"method\":\"Target.attachToTarget\",\"params\":{\"targetId\":\""
                        + target + "\",\"flatten\":true}}"));
                assertThat(attached.path("id").asInt()).isEqualTo(id + 1);
                String session = attached.path("result").path("sessionId").asText();
                assertThat(session).isNotEmpty();
                String path = "/attach" + round;
                cdp.call("{\"id\":" + (id + 2) + ",\"sessionId\":\"" + session + "\",\"method\":\"Page.navigate\",\"params\":{\"url\":\"" + base + path + "\"}}");
                String seen = "";
                for (int n = id + 3; seen.isEmpty() && n < id + 300; n++) {
                    JsonNode r = JSON.readTree(cdp.call("{\"id\":" + n + ",\"sessionId\":\"" + session + "\",\"method\":\"Runtime.evaluate\","
                            + "\"params\":{\"expression\":\"window.seen ? JSON.stringify(window.seen) : ''\",\"returnByValue\":true}}"));
                    assertThat(r.path("id").asInt()).as("the client gets its own replies only").isEqualTo(n);
                    seen = r.path("result").path("result").path("value").asText("");
                    if (seen.isEmpty()) {
                        Thread.sleep(50);
                    }
                }
                assertFirstRequest(path, profile, "raw CDP attachToTarget round " + round);
                assertThat(normalised(seen)).as("raw CDP attachToTarget round " + round).isEqualTo(expected(profile));
            }
        }
    }
}
