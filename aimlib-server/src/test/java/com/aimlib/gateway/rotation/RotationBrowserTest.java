package com.aimlib.gateway.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A live managed browser across a rotation: real Chromium on the in-process browser host, its traffic through
 * the SOCKS5 front and the tunnel to a real agent whose rotate command moves its binding 127.0.0.2 → 127.0.0.3.
 */
class RotationBrowserTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(1);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void aLiveSessionsEgressIpAndTrafficFollowTheRotation() throws Exception {
        Accounts.Customer c = fx.accounts.createCustomer("rot-" + UUID.randomUUID(), 2);
        String key = fx.accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        UUID device = fx.accounts.createDevice("rot-" + UUID.randomUUID(), "local", "test", 1, null).id();
        Path bind = Files.createTempFile("bind", ".addr");
        Files.writeString(bind, "127.0.0.2");
        String token = new AgentStore(fx.db).mintToken(device).orElseThrow().token();
        AgentSettings settings = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .withRotation(Duration.ofSeconds(1), Duration.ofSeconds(5)).withEgress(RotationFixture.LOOPBACK);
        try (Agent ignored = Agent.start("127.0.0.1", fx.gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device, token, "file:" + bind, "TestCarrier", "printf 127.0.0.3 > " + bind,
                        fx.whoami.url("/ip"), 1)), settings, 1)) {
            RotationFixture.await(() -> "127.0.0.2".equals(fx.db.jdbi().withHandle(h -> h.createQuery(
                            "SELECT current_egress_ip FROM devices WHERE id = :d").bind("d", device).mapTo(String.class).one())),
                    Duration.ofSeconds(30), "the device online with 127.0.0.2");
            Accounts.Lease lease = fx.accounts.createLease(c.id(), device, null, "socks5");
            BrowserFixture.Tenant t = new BrowserFixture.Tenant(c.id(), key, device, lease.id());
            BrowserFixture.Live live = fx.ready(t, "{\"ttl\":600}");
            assertThat(fx.awaitStatus(t, "ready", Duration.ofSeconds(5)).get("egress_ip").asText()).isEqualTo("127.0.0.2");

            try (Playwright pw = Playwright.create()) {
                Browser b = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + live.id(),
                        new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + live.token())));
                Page page = b.contexts().get(0).newPage();
                page.navigate(fx.whoami.url("/before"));
                assertThat(page.textContent("body").trim()).isEqualTo("127.0.0.2");

                HttpResponse<String> r = fx.call("POST", "/v1/devices/" + device + "/rotate-ip", key, "{\"wait\": true}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode op = BrowserFixture.json(r);
                assertThat(op.get("status").asText()).isEqualTo("succeeded");
                assertThat(op.get("new_ip").asText()).isEqualTo("127.0.0.3");

                JsonNode session = BrowserFixture.json(fx.call("GET", "/v1/devices/" + device + "/browser", key, null));
                assertThat(session.get("session_id").asText()).isEqualTo(live.id().toString());
                assertThat(session.get("egress_ip").asText()).isEqualTo("127.0.0.3");
                // The same browser now leaves from the new address.
                page.navigate(fx.whoami.url("/after"));
                assertThat(page.textContent("body").trim()).isEqualTo("127.0.0.3");
                assertThat(fx.whoami.seen).contains("127.0.0.3 /after");
                b.close();
            }
            fx.call("DELETE", "/v1/devices/" + device + "/browser", key, null);
        }
    }
}
