package com.aimlib.gateway.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.BoundingBox;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 14's live view and inspector, end to end: a real session driven by Playwright over the relay, its tabs listed
 * with signed links, the live view opened in a second, real Chromium (Playwright), read-only and interactive, and the
 * inspector's WebSocket spoken to with the JDK's client.
 */
class LiveViewTest {
    private static final String BUTTON_PAGE = "<html><head><title>before</title></head><body style='margin:0;background:#fff'>"
            + "<input id=i style='display:block;box-sizing:border-box;width:100vw;height:80px;font-size:30px'>"
            + "<button id=b style='width:100vw;height:calc(100vh - 80px);font-size:40px' "
            + "onclick=\"document.title='clicked';document.body.style.background='red';this.style.background='red';this.textContent='done'\">"
            + "click me</button></body></html>";
    static BrowserFixture fx;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void up(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(2) : new BrowserFixture(2);
    }

    @AfterAll
    static void down() {
        fx.close();
    }

    private static JsonNode pageTitled(JsonNode pages, String title) {
        for (JsonNode p : pages.path("pages")) {
            if (title.equals(p.path("title").asText())) {
                return p;
            }
        }
        throw new AssertionError("no tab titled " + title + " in " + pages);
    }

    @Test
    void aPersonWatchesReadOnlyAndClicksThroughAnInteractiveLinkAndTheSessionReacts() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        BrowserFixture.Tenant b = fx.tenant();
        BrowserFixture.Live live = fx.ready(a, "{}");
        String base = "http://127.0.0.1:" + fx.gateway.httpPort();
        int cdpPort = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT cdp_port FROM browser_sessions WHERE id = :id")
                .bind("id", live.id()).mapTo(Integer.class).one());

        try (Playwright pw = Playwright.create()) {
            Browser session = pw.chromium().connectOverCDP(base + "/cdp/" + live.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + live.token())));
            Page tab = session.contexts().get(0).pages().get(0);
            tab.setContent(BUTTON_PAGE);
            assertThat(tab.title()).isEqualTo("before");

            // The list: every tab with its links, none naming the browser's host port.
            HttpResponse<String> listed = fx.call("GET", "/v1/sessions/" + live.id() + "/pages", a.key(), null);
            assertThat(listed.statusCode()).isEqualTo(200);
            JsonNode pages = BrowserFixture.json(listed);
            JsonNode p = pageTitled(pages, "before");
            assertThat(p.path("id").asText()).matches("[A-F0-9]{32}");
            String view = p.path("live_view_url").asText();
            String control = p.path("interactive_live_view_url").asText();
            String inspector = p.path("inspector_url").asText();
            assertThat(view).startsWith(base + "/live/" + live.id() + "/" + p.path("id").asText() + "?mode=view&exp=");
            assertThat(control).contains("mode=control");
            assertThat(inspector).startsWith("devtools://devtools/bundled/inspector.html?ws=");
            assertThat(listed.body()).doesNotContain(":" + cdpPort + "/").doesNotContain("/devtools/page/");

            // Another customer: 404, as for an unknown session. A read-only key: no interactive or inspector link.
            assertThat(fx.call("GET", "/v1/sessions/" + live.id() + "/pages", b.key(), null).statusCode()).isEqualTo(404);
            assertThat(fx.call("GET", "/v1/sessions/" + live.id() + "/pages", b.key(), null).body()).contains("session_not_found");
            String readOnlyKey = fx.accounts.mintKey(a.customer(), "ro", Set.of("proxies.read"), null).plaintext();
            JsonNode ro = pageTitled(BrowserFixture.json(fx.call("GET", "/v1/sessions/" + live.id() + "/pages", readOnlyKey, null)), "before");
            assertThat(ro.path("live_view_url").asText()).contains("mode=view");
            assertThat(ro.path("interactive_live_view_url").isNull()).isTrue();
            assertThat(ro.path("inspector_url").isNull()).isTrue();

            Browser viewer = pw.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(Path.of("/usr/bin/chromium"))
                    .setArgs(List.of("--no-sandbox")));
            try {
                // Read-only: the page shows the session's tab; a click is refused by the gateway and changes nothing.
                Page watch = viewer.newPage();
                watch.navigate(view);
                watch.waitForFunction("() => window.__live && window.__live.frames > 0 && window.__live.width > 100",
                        null, new Page.WaitForFunctionOptions().setTimeout(30_000));
                BoundingBox box = watch.locator("#screen").boundingBox();
                watch.mouse().click(box.x + box.width / 2, box.y + box.height / 2);
                watch.waitForFunction("() => window.__live.lastError === 'read_only'", null, new Page.WaitForFunctionOptions().setTimeout(15_000));
                Thread.sleep(500);
                assertThat(tab.title()).isEqualTo("before");

                // Interactive: the click lands on the session's button; its own CDP sees the title change, the view redraws.
                Page drive = viewer.newPage();
                drive.navigate(control);
                drive.waitForFunction("() => window.__live && window.__live.frames > 0 && window.__live.width > 100",
                        null, new Page.WaitForFunctionOptions().setTimeout(30_000));
                int framesBefore = ((Number) drive.evaluate("() => window.__live.frames")).intValue();
                BoundingBox box2 = drive.locator("#screen").boundingBox();
                drive.mouse().click(box2.x + box2.width / 2, box2.y + box2.height / 2);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!"clicked".equals(tab.title()) && System.nanoTime() < end) {
                    Thread.sleep(50);
                }
                assertThat(tab.title()).isEqualTo("clicked");
                drive.waitForFunction("n => window.__live.frames > n", framesBefore, new Page.WaitForFunctionOptions().setTimeout(15_000));
                // The redrawn frame is the red page: sample the canvas's centre pixel.
                drive.waitForFunction("() => { const c = document.getElementById('screen'); const d = c.getContext('2d')"
                        + ".getImageData(c.width / 2, c.height / 2, 1, 1).data; return d[0] > 200 && d[1] < 80 && d[2] < 80; }",
                        null, new Page.WaitForFunctionOptions().setTimeout(15_000));
                assertThat(drive.evaluate("() => window.__live.lastError")).isNull();

                // Typing: a click into the session's text field, then keys on the live view land in it.
                double innerHeight = ((Number) tab.evaluate("() => window.innerHeight")).doubleValue();
                drive.mouse().click(box2.x + box2.width / 2, box2.y + box2.height * (40 / innerHeight));
                long focused = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!Boolean.TRUE.equals(tab.evaluate("() => document.activeElement && document.activeElement.id === 'i'"))
                        && System.nanoTime() < focused) {
                    Thread.sleep(50);
                }
                drive.keyboard().type("hi 42");
                long typed = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!"hi 42".equals(tab.inputValue("#i")) && System.nanoTime() < typed) {
                    Thread.sleep(50);
                }
                assertThat(tab.inputValue("#i")).isEqualTo("hi 42");
            } finally {
                viewer.close();
            }

            // The inspector's WebSocket: the tab's CDP through the relay, with the relay's guard.
            String ws = "ws://" + URLDecoder.decode(inspector.substring(inspector.indexOf("ws=") + 3), StandardCharsets.UTF_8);
            assertThat(ws).isEqualTo(p.path("inspector_ws_url").asText());
            Cdp cdp = Cdp.open(ws);
            try {
                JsonNode title = cdp.call("{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"document.title\",\"returnByValue\":true}}");
                assertThat(title.path("result").path("result").path("value").asText()).isEqualTo("clicked");
                JsonNode refused = cdp.call("{\"id\":2,\"method\":\"Page.navigate\",\"params\":{\"url\":\"file:///etc/passwd\"}}");
                assertThat(refused.path("error").path("message").asText()).startsWith("aimlib:");
            } finally {
                cdp.close();
            }

            // Links are for one mode: a view link is no inspector, and a forged signature opens nothing.
            String tabPath = "/live/" + live.id() + "/" + p.path("id").asText();
            String viewQuery = view.substring(view.indexOf('?'));
            assertThat(fx.wsUpgrade(tabPath + "/inspect" + viewQuery, null)).startsWith("HTTP/1.1 403").contains("link_invalid");
            String forged = view.substring(0, view.length() - 4) + (view.endsWith("AAAA") ? "BBBB" : "AAAA");
            HttpResponse<String> bad = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(forged)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(403);
            assertThat(bad.body()).contains("link_invalid");
            assertThat(fx.wsUpgrade(tabPath + "/ws" + viewQuery.replace("mode=view", "mode=control"), null))
                    .startsWith("HTTP/1.1 403").contains("link_invalid");
            // No link at all: 401; the session's connect token instead of a link: accepted.
            assertThat(fx.wsUpgrade(tabPath + "/ws", null)).startsWith("HTTP/1.1 401");
            assertThat(fx.wsUpgrade(tabPath + "/ws?mode=control", live.token())).startsWith("HTTP/1.1 101");
            // Another session's id with this link: the signature names the session.
            UUID other = UUID.randomUUID();
            assertThat(fx.wsUpgrade("/live/" + other + "/" + p.path("id").asText() + "/ws" + viewQuery, null)).startsWith("HTTP/1.1 404");

            // The link's own page served with a CSP and no referrer.
            HttpResponse<String> html = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(view)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(html.statusCode()).isEqualTo(200);
            assertThat(html.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'none'");
            assertThat(html.headers().firstValue("Referrer-Policy")).contains("no-referrer");

            // Past its expiry (15 minutes by default) a genuine link is refused as expired.
            fx.advance(Duration.ofSeconds(LiveRoutes.DEFAULT_LINK_TTL + 1));
            HttpResponse<String> expired = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(view)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(expired.statusCode()).isEqualTo(403);
            assertThat(expired.body()).contains("link_expired");
            assertThat(fx.wsUpgrade(tabPath + "/ws" + viewQuery, null)).startsWith("HTTP/1.1 403").contains("link_expired");
            session.close();
        }
    }

    @Test
    void theListAnswersLikeTheRelayForUnknownBadAndUnreadySessions() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        assertThat(fx.call("GET", "/v1/sessions/" + UUID.randomUUID() + "/pages", a.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("GET", "/v1/sessions/nope/pages", a.key(), null).statusCode()).isEqualTo(400);
        assertThat(fx.call("GET", "/v1/sessions/" + UUID.randomUUID() + "/pages", null, null).statusCode()).isEqualTo(401);
        UUID provisioning = fx.insertSession(a, "provisioning", "t0k", fx.clock.instant().plusSeconds(600), fx.host.id(), null);
        assertThat(fx.call("GET", "/v1/sessions/" + provisioning + "/pages", a.key(), null).statusCode()).isEqualTo(425);
        UUID gone = fx.insertSession(a, "gone", "t0k", fx.clock.instant().plusSeconds(600), fx.host.id(), null);
        assertThat(fx.call("GET", "/v1/sessions/" + gone + "/pages", a.key(), null).statusCode()).isEqualTo(410);
        String noScope = fx.accounts.mintKey(a.customer(), "t", Set.of("tickets.write"), null).plaintext();
        assertThat(fx.call("GET", "/v1/sessions/" + gone + "/pages", noScope, null).statusCode()).isEqualTo(403);
        BrowserFixture.Tenant b = fx.tenant();
        // Another customer's session in any state is 404, never 425/410.
        assertThat(fx.call("GET", "/v1/sessions/" + provisioning + "/pages", b.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("GET", "/v1/sessions/" + gone + "/pages", b.key(), null).statusCode()).isEqualTo(404);
    }

    /** A tiny CDP client over the JDK's WebSocket: one call at a time. */
    private static final class Cdp implements WebSocket.Listener {
        private final LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private WebSocket ws;

        static Cdp open(String url) throws Exception {
            Cdp c = new Cdp();
            c.ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(url), c).get(10, TimeUnit.SECONDS);
            return c;
        }

        JsonNode call(String msg) throws Exception {
            int id = com.aimlib.gateway.http.Json.MAPPER.readTree(msg).path("id").asInt();
            ws.sendText(msg, true).get(10, TimeUnit.SECONDS);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                String m = in.poll(1, TimeUnit.SECONDS);
                if (m != null) {
                    JsonNode n = com.aimlib.gateway.http.Json.MAPPER.readTree(m);
                    if (n.path("id").asInt(-1) == id) {
                        return n;
                    }
                }
            }
            throw new AssertionError("no answer to " + msg);
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                in.add(text.toString());
                text.setLength(0);
            }
            w.request(1);
            return null;
        }

        void close() {
            ws.abort();
        }
    }

}
