package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.http.Json;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.aimlib.testing.Curl;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 14's relay edges: the 425 status line, and max_tabs enforced at the relay for every client. */
class RelayEdgesTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(10);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static String base() {
        return "http://127.0.0.1:" + fx.gateway.httpPort();
    }

    @Test
    void theProvisioningStatusLineReadsTooEarly() throws Exception {
        String token = "c".repeat(48);
        UUID id = fx.insertSession(fx.tenant(), "provisioning", token, fx.clock.instant().plusSeconds(600), fx.host.id(), null);
        // The WebSocket upgrade, byte for byte.
        assertThat(fx.wsUpgrade("/cdp/" + id, token)).startsWith("HTTP/1.1 425 Too Early\r\n");
        // Discovery, as curl prints it.
        Curl.Reply r = Curl.call("GET", base() + "/cdp/" + id + "/json/version", token, null);
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 425 Too Early");
        assertThat(r.head()).containsIgnoringCase("retry-after: 5");
        // And on a plain socket: nothing of WebDAV's "Unordered Collection" anywhere.
        try (Socket s = new Socket("127.0.0.1", fx.gateway.httpPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /cdp/" + id + "/json/list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(reply).startsWith("HTTP/1.1 425 Too Early\r\n").doesNotContain("Unordered");
        }
    }

    private static Browser connect(Playwright pw, BrowserFixture.Live s) {
        return pw.chromium().connectOverCDP(base() + "/cdp/" + s.id(),
                new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())));
    }

    private static JsonNode createTarget(CdpClient c, int id) throws Exception {
        return Json.MAPPER.readTree(c.call("{\"id\":" + id + ",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"));
    }

    /** Retries {@code newPage} while the closed tab's slot is being freed (the browser reports the close asynchronously). */
    private static Page newPageSoon(BrowserContext ctx) throws InterruptedException {
        PlaywrightException last = null;
        for (int i = 0; i < 100; i++) {
            try {
                return ctx.newPage();
            } catch (PlaywrightException e) {
                last = e;
                Thread.sleep(50);
            }
        }
        throw last;
    }

    @Test
    void maxTabsCountsTheInitialTabAndPopupsAndHoldsForEveryClient() throws Exception {
        BrowserFixture.Live s = fx.ready(fx.tenant(), "{}");
        try (Playwright pw = Playwright.create()) {
            Browser br = connect(pw, s);
            BrowserContext ctx = br.contexts().get(0);
            assertThat(ctx.pages()).as("the initial tab").hasSize(1);
            List<Page> pages = new ArrayList<>(ctx.pages());
            // What the SDKs do: the first new_page() is the initial tab, the next four are new: the fifth succeeds.
            for (int i = 0; i < 4; i++) {
                pages.add(ctx.newPage());
            }
            assertThat(ctx.pages()).hasSize(5);
            assertThatThrownBy(ctx::newPage).isInstanceOf(PlaywrightException.class)
                    .hasMessageContaining("aimlib: max_tabs reached: this session allows 5 open tabs");
            // Another context of the same browser is the same session: still five.
            assertThatThrownBy(() -> br.newContext().newPage()).isInstanceOf(PlaywrightException.class).hasMessageContaining("max_tabs");

            // A second client, raw CDP on the browser endpoint, gets the CDP error too.
            try (CdpClient raw = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(), s.token())) {
                JsonNode refused = createTarget(raw, 7);
                assertThat(refused.get("id").asInt()).isEqualTo(7);
                assertThat(refused.at("/error/code").asInt()).isEqualTo(-32000);
                assertThat(refused.at("/error/message").asText()).contains("max_tabs").contains("5 open tabs");

                // Closing a tab frees its slot, for any client.
                pages.remove(4).close();
                JsonNode created = null;
                for (int i = 0; i < 100 && (created == null || created.has("error")); i++) {
                    created = createTarget(raw, 100 + i);
                    if (created.has("error")) {
                        Thread.sleep(50);
                    }
                }
                assertThat(created.has("error")).as(created.toString()).isFalse();
                String target = created.at("/result/targetId").asText();
                assertThat(createTarget(raw, 300).at("/error/message").asText()).contains("max_tabs");
                raw.call("{\"id\":301,\"method\":\"Target.closeTarget\",\"params\":{\"targetId\":\"" + target + "\"}}");
            }

            // A popup a page opens is a tab too: with four open, the popup is the fifth and newPage is refused.
            Page popup = pages.get(0).waitForPopup(() -> pages.get(0).evaluate("() => { window.open('about:blank'); }"));
            assertThat(popup).isNotNull();
            Thread.sleep(300); // the popup's targetCreated reaches the counter
            assertThatThrownBy(ctx::newPage).isInstanceOf(PlaywrightException.class).hasMessageContaining("max_tabs");
            popup.close();
            Page again = newPageSoon(ctx);
            assertThat(again.isClosed()).isFalse();
            br.close();
        }
        fx.call("DELETE", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null);
    }

    @Test
    void tabsOpenedWhileNobodyWasConnectedCountAtTheNextConnect() throws Exception {
        BrowserFixture.Live s = fx.ready(fx.tenant(), "{}");
        try (Playwright pw = Playwright.create()) {
            Browser first = connect(pw, s);
            BrowserContext ctx = first.contexts().get(0);
            for (int i = 0; i < 4; i++) {
                ctx.newPage();
            }
            first.close(); // disconnects: the five tabs stay open in the session's browser
            Browser second = connect(pw, s);
            assertThat(second.contexts().get(0).pages()).hasSize(5);
            assertThatThrownBy(() -> second.contexts().get(0).newPage()).isInstanceOf(PlaywrightException.class)
                    .hasMessageContaining("max_tabs");
            second.close();
        }
        fx.call("DELETE", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null);
    }
}
