package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The customer's whole flow on the production path: create, wait for ready, drive five tabs over the relay, stop.
 * The session's bridge chains to the gateway's own SOCKS5 front with the lease's credentials, the front opens
 * streams through the device's tunnel, and the device's agent (bound to 127.0.0.2) connects to the origin; so the
 * origin seeing 127.0.0.2 proves the traffic crossed the device, and the device's usage counts the browser's bytes.
 */
class BrowserSessionEndToEndTest {
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
    void createConnectBrowseFiveTabsThroughTheDeviceAndStop() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        assertThat(fx.gateway.tunnels().online(t.device())).isTrue();
        fx.gateway.proxyFront().flushUsage();
        assertThat(fx.deviceUsage(t.device())).isZero();
        HttpResponse<String> created = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(),
                "{\"ttl\":600,\"profile\":{\"device\":\"pixel-8-pro\",\"timezone\":\"Europe/Berlin\",\"evil\":1}}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode c = BrowserFixture.json(created);
        String id = c.get("session_id").asText();
        String token = c.get("connect_token").asText();
        assertThat(c.get("status").asText()).isEqualTo("provisioning");
        assertThat(c.get("connect_url").asText()).isEqualTo("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id);
        assertThat(token).matches("[0-9a-f]{48}");
        assertThat(c.get("region").asText()).isEqualTo("local");
        assertThat(c.get("ready_in_s").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(c.get("egress_ip").isNull()).isTrue();
        assertThat(c.get("max_tabs").asInt()).isEqualTo(5);
        assertThat(c.has("expires_at")).isTrue();

        JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        assertThat(ready.get("session_id").asText()).isEqualTo(id);
        assertThat(ready.get("egress_ip").asText()).isEqualTo(BrowserFixture.EGRESS);
        assertThat(ready.has("started_at")).isTrue();
        assertThat(ready.get("resolved_profile").get("device").asText()).isEqualTo("pixel-8-pro");
        assertThat(ready.get("resolved_profile").get("timezone").asText()).isEqualTo("Europe/Berlin");
        assertThat(ready.get("resolved_profile").has("evil")).isFalse();
        UUID sid = UUID.fromString(id);
        Map.Entry<Long, Path> browser = fx.host.browserOf(sid).orElseThrow();
        // The egress check after ready (through the session's own bridge) crossed the device: the front counted it.
        Instant checkBy = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(checkBy) && fx.whoami.seen.stream().noneMatch(s -> s.equals(BrowserFixture.EGRESS + " /ip"))) {
            Thread.sleep(20);
        }
        assertThat(fx.whoami.seen).anyMatch(s -> s.equals(BrowserFixture.EGRESS + " /ip"));
        fx.gateway.proxyFront().flushUsage();
        long deviceAtReady = fx.deviceUsage(t.device());
        long leaseAtReady = fx.leaseUsage(t.lease());
        long sessionAtReady = fx.host.bytesOf(sid);
        assertThat(deviceAtReady).isPositive();
        assertThat(leaseAtReady).isEqualTo(deviceAtReady);
        int seenAtReady = fx.whoami.seen.size();

        try (Playwright pw = Playwright.create()) {
            Browser b = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id,
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + token)));
            BrowserContext ctx = b.contexts().get(0);
            List<Page> pages = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                // Five tabs as the SDKs count them: the initial tab, then four new ones (the relay enforces max_tabs).
                Page p = i == 0 ? ctx.pages().get(0) : ctx.newPage();
                p.navigate(fx.whoami.url("/tab" + i));
                pages.add(p);
            }
            for (Page p : pages) {
                assertThat(p.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
            }
            // the fifth tab also pulls 1 MiB through the device
            assertThat(pages.get(4).evaluate("() => fetch('" + fx.whoami.url("/big") + "').then(r => r.text()).then(t => t.length)"))
                    .isEqualTo(1024 * 1024);
            for (int i = 0; i < 5; i++) {
                assertThat(fx.whoami.seen).contains(BrowserFixture.EGRESS + " /tab" + i);
            }
            assertThat(fx.whoami.seen.subList(seenAtReady, fx.whoami.seen.size())).isNotEmpty()
                    .allMatch(s -> s.startsWith(BrowserFixture.EGRESS + " "));
            assertThat(fx.whoami.seen).noneMatch(s -> s.startsWith("127.0.0.1 "));
            assertThat(pages.get(2).evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")).isEqualTo("Europe/Berlin");
            assertThat(fx.awaitStatus(t, "active", Duration.ofSeconds(5)).get("status").asText()).isEqualTo("active");
            b.close();
        }

        HttpResponse<String> del = fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        assertThat(del.statusCode()).isEqualTo(200);
        assertThat(del.body()).isEqualTo("{\"status\":\"stopping\"}");
        fx.awaitStatus(t, "404", Duration.ofSeconds(15));
        HttpResponse<String> gone = fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).isEqualTo("{\"error\":\"session_not_found\"}");
        assertThat(fx.wsUpgrade("/cdp/" + id, token)).startsWith("HTTP/1.1 410").contains("\"error\":\"session_expired\"");
        assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(ProcessHandleTestSupport.browsersUnder(browser.getValue())).isEmpty();
        assertThat(Files.exists(browser.getValue())).isFalse();
        Long bytes = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT bytes_used FROM browser_sessions WHERE id = :id").bind("id", sid).mapTo(Long.class).one());
        assertThat(bytes).isGreaterThan(sessionAtReady + 1024 * 1024);

        // The proxy front counted the same traffic against the device and the lease (flushed now rather than in ≤ 2 s).
        fx.gateway.proxyFront().flushUsage();
        long device = fx.deviceUsage(t.device());
        assertThat(device).isGreaterThan(deviceAtReady + 1024 * 1024);
        assertThat(fx.leaseUsage(t.lease())).isEqualTo(device);
        // Both count payload of the same connections (the bridge on Chromium's side, the front on the SOCKS side):
        // they differ only by the absolute-form request lines the bridge rewrites to origin form.
        assertThat((double) device).isBetween(bytes * 0.9, bytes * 1.1);
    }
}
