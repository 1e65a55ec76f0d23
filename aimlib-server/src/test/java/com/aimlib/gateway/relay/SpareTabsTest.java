package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relay's spare tab ({@link SpareTabs}, {@link SpareFilter}) with a real host, browser and clients: a blank new
 * tab is answered with the spare, in which the session's identity is already in effect; no client, listing or tab
 * count sees a waiting spare; Playwright's {@code newPage()} takes it like any new tab; creates that a spare cannot
 * serve go to the browser as sent.
 */
class SpareTabsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARK = "about:blank#";
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(3);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static CdpRelay relay() {
        return fx.gateway.cdpRelay();
    }

    private static String url(BrowserFixture.Live s) {
        return "ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id();
    }

    private static void awaitSpare(UUID session) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (!relay().spareTabReady(session)) {
            assertThat(System.nanoTime()).as("a spare tab got ready").isLessThan(end);
            Thread.sleep(10);
        }
    }

    private static JsonNode call(CdpClient c, String msg) throws Exception {
        JsonNode r = JSON.readTree(c.call(msg));
        assertThat(r.has("error")).as(msg + " -> " + r).isFalse();
        return r.path("result");
    }

    private static List<JsonNode> pages(CdpClient c) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode t : call(c, "{\"id\":900,\"method\":\"Target.getTargets\"}").path("targetInfos")) {
            if ("page".equals(t.path("type").asText())) {
                out.add(t);
            }
        }
        return out;
    }

    private static JsonNode profile(BrowserFixture.Live s) throws Exception {
        return BrowserFixture.json(fx.call("GET", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null))
                .path("resolved_profile");
    }

    private static String signals() {
        return "JSON.stringify([location.href, history.length, navigator.hardwareConcurrency, screen.width, screen.height, "
                + "devicePixelRatio, navigator.platform, navigator.userAgent, navigator.maxTouchPoints])";
    }

    private static String expected(JsonNode p) {
        return JSON.createArrayNode().add("about:blank").add(1).add(p.path("cores").asInt()).add(p.path("css_screen").path(0).asInt())
                .add(p.path("css_screen").path(1).asInt()).add(p.path("dpr").asDouble()).add("Linux aarch64").add(p.path("user_agent").asText())
                .add(p.path("touch_points").asInt()).toString();
    }

    /** JSON numbers compared as doubles (3 and 3.0 are the same pixel ratio). */
    private static String normalised(String json) throws Exception {
        JsonNode n = JSON.readTree(json);
        com.fasterxml.jackson.databind.node.ArrayNode a = (com.fasterxml.jackson.databind.node.ArrayNode) n;
        a.set(5, JSON.getNodeFactory().numberNode(a.get(5).asDouble()));
        return a.toString();
    }

    @Test
    void aBlankNewTabIsTheSpareWithTheIdentityInEffectAndNoClientSawItWait() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{\"profile\":{\"device\":\"galaxy-s24\"}}");
        JsonNode profile = profile(s);
        try (CdpClient watcher = CdpClient.open(url(s), s.token()); CdpClient c = CdpClient.open(url(s), s.token())) {
            call(watcher, "{\"id\":1,\"method\":\"Target.setDiscoverTargets\",\"params\":{\"discover\":true}}");
            awaitSpare(s.id());
            // Waiting: in no listing, neither the browser's own nor the relay's discovery.
            assertThat(pages(c)).hasSize(1);
            assertThat(pages(c).toString()).doesNotContain(MARK);
            HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id() + "/json/list"))
                    .header("Authorization", "Bearer " + s.token()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(list.body())).hasSize(1);
            assertThat(list.body()).doesNotContain(MARK);
            JsonNode live = BrowserFixture.json(fx.call("GET", "/v1/sessions/" + s.id() + "/pages", t.key(), null)).path("pages");
            assertThat(live).as("the live view's pages").hasSize(1);
            assertThat(live.toString()).doesNotContain(MARK);

            long served = relay().spareTabsServed();
            String tab = call(c, "{\"id\":2,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}").path("targetId").asText();
            assertThat(relay().spareTabsServed()).as("the create was answered with the spare").isEqualTo(served + 1);
            String session = call(c, "{\"id\":3,\"method\":\"Target.attachToTarget\",\"params\":{\"targetId\":\"" + tab
                    + "\",\"flatten\":true}}").path("sessionId").asText();
            String seen = call(c, "{\"id\":4,\"sessionId\":\"" + session + "\",\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":"
                    + JSON.writeValueAsString(signals()) + "}}").path("result").path("value").asText();
            assertThat(normalised(seen)).as("the spare's blank page, before any navigation").isEqualTo(normalised(expected(profile)));
            List<JsonNode> now = pages(c);
            assertThat(now).hasSize(2);
            assertThat(now.stream().filter(p -> p.path("targetId").asText().equals(tab)).findFirst().orElseThrow()
                    .path("title").asText()).isEqualTo("about:blank");
            JsonNode liveNow = BrowserFixture.json(fx.call("GET", "/v1/sessions/" + s.id() + "/pages", t.key(), null)).path("pages");
            assertThat(liveNow).hasSize(2);
            assertThat(liveNow.toString()).doesNotContain(MARK);
            // It navigates like any tab.
            call(c, "{\"id\":5,\"sessionId\":\"" + session + "\",\"method\":\"Page.navigate\",\"params\":{\"url\":\"data:text/html,<title>x</title>\"}}");

            // The other client heard of the tab only now, as a tab just opened at about:blank, and never of the mark.
            long end = System.nanoTime() + 5_000_000_000L;
            boolean created = false;
            List<String> heard = new ArrayList<>();
            while (!created && System.nanoTime() < end) {
                String e = watcher.events.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (e == null) {
                    continue;
                }
                heard.add(e);
                JsonNode n = JSON.readTree(e);
                created = n.path("method").asText().equals("Target.targetCreated")
                        && n.path("params").path("targetInfo").path("targetId").asText().equals(tab);
                if (created) {
                    assertThat(n.path("params").path("targetInfo").path("url").asText()).isEqualTo("about:blank");
                }
            }
            assertThat(created).as("the watcher was told of the handed-out tab; heard " + heard).isTrue();
            Thread.sleep(300);
            watcher.events.drainTo(heard);
            assertThat(String.join("\n", heard)).doesNotContain(MARK);
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
    }

    @Test
    void playwrightsNewPageTakesTheSpareAndNeverSeesOneWaiting() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{\"profile\":{\"device\":\"pixel-8-pro\"}}");
        JsonNode profile = profile(s);
        try (Playwright pw = Playwright.create()) {
            Browser b = pw.chromium().connectOverCDP(url(s), new BrowserType.ConnectOverCDPOptions()
                    .setHeaders(Map.of("Authorization", "Bearer " + s.token())));
            BrowserContext ctx = b.contexts().get(0);
            awaitSpare(s.id());
            assertThat(ctx.pages()).hasSize(1);
            for (int i = 0; i < 3; i++) {
                awaitSpare(s.id());
                long served = relay().spareTabsServed();
                Page page = ctx.newPage();
                assertThat(relay().spareTabsServed()).as("newPage #" + i + " took the spare").isEqualTo(served + 1);
                assertThat(page.url()).isEqualTo("about:blank");
                assertThat(normalised(page.evaluate(signals()).toString())).isEqualTo(normalised(expected(profile)));
                page.navigate("data:text/html,<title>t" + i + "</title><p>hi");
                assertThat(page.title()).isEqualTo("t" + i);
                assertThat(page.evaluate("history.length")).isEqualTo(2);
                assertThat(ctx.pages()).hasSize(2);
                page.close();
            }
            assertThat(ctx.pages()).hasSize(1);
            b.close();
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
    }

    @Test
    void aWaitingSpareIsNoTabOfTheLimitAndOtherCreatesGoToTheBrowser() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        int max = fx.gateway.sessions().maxTabs();
        try (CdpClient c = CdpClient.open(url(s), s.token())) {
            awaitSpare(s.id());
            long served = relay().spareTabsServed();
            // Not blank, or not only a URL: the browser opens these, as sent.
            call(c, "{\"id\":1,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"data:text/html,<p>x\"}}");
            call(c, "{\"id\":2,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\",\"background\":true}}");
            assertThat(relay().spareTabsServed()).isEqualTo(served);
            // The first tab and these two count; a waiting spare does not: the tabs up to max_tabs open.
            int id = 3;
            for (int open = 3; open < max; open++) {
                awaitSpare(s.id());
                call(c, "{\"id\":" + id++ + ",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}");
            }
            assertThat(relay().spareTabsServed()).isEqualTo(served + max - 3);
            assertThat(pages(c)).hasSize(max);
            Thread.sleep(SpareTabs.REFILL_AFTER.toMillis() + 200);
            JsonNode refused = JSON.readTree(c.call("{\"id\":99,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"));
            assertThat(refused.path("error").path("message").asText()).contains("max_tabs");
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
    }
}
