package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.Curl;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 14's {@code start_url}: validated at create, opened by the first tab once the identity is applied, never delaying ready. */
class StartUrlTest {
    static BrowserFixture fx;
    static HttpServer origin;
    static final CountDownLatch arrived = new CountDownLatch(1);
    static final CountDownLatch release = new CountDownLatch(1);
    /** "address user-agent" of every request to the slow page. */
    static final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(10);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        origin.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        origin.createContext("/slow", ex -> {
            seen.add(ex.getRemoteAddress().getAddress().getHostAddress() + " " + ex.getRequestHeaders().getFirst("User-Agent"));
            arrived.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "<html><head><title>the start page</title></head><body>started</body></html>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        origin.start();
    }

    @AfterAll
    static void stop() {
        release.countDown();
        origin.stop(0);
        fx.close();
    }

    @Test
    void theFirstTabOpensTheStartUrlThroughTheDeviceWithItsIdentityWithoutDelayingReady() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/slow?from=start_url";
        JsonNode created = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(),
                "{\"start_url\":\"" + url + "\",\"profile\":{\"device\":\"pixel-9\"}}"));
        assertThat(created.get("status").asText()).isEqualTo("provisioning");
        // The site holds its answer for up to a minute; ready must not wait for it.
        JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        assertThat(release.getCount()).as("ready came while the start page was still loading").isEqualTo(1);
        assertThat(arrived.await(20, TimeUnit.SECONDS)).as("the first tab asked for the start URL").isTrue();
        // Through the device, with the session's identity already applied.
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).isEqualTo(BrowserFixture.EGRESS + " " + ready.at("/resolved_profile/user_agent").asText());
        release.countDown();

        UUID id = UUID.fromString(created.get("session_id").asText());
        try (Playwright pw = Playwright.create()) {
            Browser b = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id,
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + created.get("connect_token").asText())));
            assertThat(b.contexts().get(0).pages()).hasSize(1);
            Page first = b.contexts().get(0).pages().get(0);
            first.waitForURL(url, new Page.WaitForURLOptions().setTimeout(20_000));
            first.waitForFunction("() => document.title === 'the start page'");
            assertThat(first.textContent("body")).isEqualTo("started");
            b.close();
        }
        JsonNode shown = Json.MAPPER.readTree(Curl.call("GET", "http://127.0.0.1:" + fx.gateway.httpPort() + "/v1/sessions/" + id, t.key(), null).body());
        assertThat(shown.get("start_url").asText()).isEqualTo(url);
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
    }

    @Test
    void aBareDomainGetsHttps() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        JsonNode created = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"start_url\":\"  example.com/path?q=1 \"}"));
        UUID id = UUID.fromString(created.get("session_id").asText());
        String stored = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT start_url FROM browser_sessions WHERE id = :id").bind("id", id)
                .mapTo(String.class).one());
        assertThat(stored).isEqualTo("https://example.com/path?q=1");
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);

        assertThat(StartUrl.normalise("localhost:8080/x")).isEqualTo("https://localhost:8080/x");
        assertThat(StartUrl.normalise("HTTP://Example.com")).isEqualTo("HTTP://Example.com");
        assertThat(StartUrl.normalise("http://127.0.0.1:9/")).isEqualTo("http://127.0.0.1:9/");
        for (String bad : List.of("javascript:alert(1)", "file:///etc/passwd", "about:blank", "ftp://example.com/", "chrome://version",
                "data:text/html,hi", "https://", "http://exa mple.com")) {
            assertThatThrownBy(() -> StartUrl.normalise(bad)).as(bad).isInstanceOf(ApiException.class);
        }
    }

    @Test
    void anythingButHttpOrHttpsIsA400AndNothingIsStored() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String base = "http://127.0.0.1:" + fx.gateway.httpPort();
        Map<String, String> cases = Map.of(
                "\"javascript:alert(1)\"", "start_url must be an http or https URL",
                "\"file:///etc/passwd\"", "start_url must be an http or https URL",
                "\"ftp://example.com/x\"", "start_url must be an http or https URL",
                "\"about:blank\"", "start_url must be an http or https URL",
                "42", "start_url must be a string",
                "\"   \"", "start_url must not be empty",
                "\"" + "a".repeat(2100) + ".com\"", "start_url must be at most 2048 characters");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Curl.Reply r = Curl.call("POST", base + "/v1/devices/" + t.device() + "/browser", t.key(), "{\"start_url\":" + c.getKey() + "}");
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"" + c.getValue() + "\"}");
        }
        assertThat(Json.MAPPER.readTree(Curl.call("GET", base + "/v1/sessions?status=all", t.key(), null).body()).get("data")).isEmpty();
        int booted = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE customer_id = :c AND host_id IS NOT NULL")
                .bind("c", t.customer()).mapTo(Integer.class).one());
        assertThat(booted).isZero();
    }
}
