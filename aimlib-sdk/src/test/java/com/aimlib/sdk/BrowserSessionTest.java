package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.testing.BrowserFixture;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BrowserSessionTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = Server.shared();
    }

    @Test
    void aSessionEndToEndWithPlaywrightFiveTabsThenTheLimitThenStop() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key());
             BrowserSession session = ai.device(t.device().toString())
                     .browser(BrowserOptions.builder().profile("pixel-8-pro").ttl("10m").build())) {
            assertThat(session.status()).isEqualTo("provisioning");
            assertThat(session.maxTabs()).isEqualTo(5);
            assertThat(session.connectToken()).isNotBlank();
            assertThat(session.toString()).doesNotContain(session.connectToken());
            assertThat(session.browser()).isNull();

            Browser browser = session.connect();
            assertThat(session.browser()).isSameAs(browser);
            assertThat(session.status()).isIn("ready", "active", "idle");
            assertThat(session.fingerprint()).containsEntry("device", "pixel-8-pro");
            assertThat(session.egressIp()).isNotNull();

            List<Page> pages = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                pages.add(session.newPage());
            }
            assertThat(pages).doesNotHaveDuplicates();
            assertThat(browser.contexts().get(0).pages()).hasSize(5);
            pages.get(1).navigate(server.fx.whoami.url("/ip"));
            assertThat(pages.get(1).textContent("body")).isEqualTo(BrowserFixture.EGRESS);
            assertThatThrownBy(session::newPage).isExactlyInstanceOf(TabLimitException.class).hasMessageContaining("max_tabs is 5");

            pages.get(4).close();
            Page again = session.newPage();
            assertThat(again.isClosed()).isFalse();
            assertThatThrownBy(session::newPage).isInstanceOf(TabLimitException.class);

            session.stop();
            HttpResponse<String> after = server.fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null);
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(BrowserFixture.json(after).get("status").asText()).isEqualTo("expiring");
            assertThat(server.awaitSessionStatus(t, 404, Duration.ofSeconds(5))).isEqualTo(404);
            assertThatThrownBy(session::waitUntilReady).isExactlyInstanceOf(SessionExpiredException.class);
            session.stop();
        }
    }

    @Test
    void aCustomerCapIsACapacityExceptionAtOnceWithoutRetries() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        server.admin("PATCH", "/customers/" + t.customer(), "{\"max_browser_sessions\":0}");
        try (Aimlib ai = server.client(t.key())) {
            Device device = ai.device(t.device().toString());
            long start = System.nanoTime();
            assertThatThrownBy(device::browser).isExactlyInstanceOf(CapacityException.class)
                    .hasMessage("capacity_unavailable: customer session cap reached")
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(429));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(450));
        }
    }

    @Test
    void noHostCapacityIsRetriedAndSucceedsOnceTheHostFreesUp() throws Exception {
        BrowserFixture.Tenant holder = server.fx.tenant();
        BrowserFixture.Tenant waiter = server.fx.tenant();
        try (Aimlib a = server.client(holder.key()); Aimlib b = server.client(waiter.key());
             Aimlib impatient = Aimlib.builder().apiKey(waiter.key()).baseUrl(server.fx.gateway.baseUrl()).maxRetries(1).build()) {
            BrowserSession held = a.device(holder.device().toString()).browser();
            Device waiting = b.device(waiter.device().toString());

            long start = System.nanoTime();
            assertThatThrownBy(() -> impatient.device(waiter.device().toString()).browser())
                    .isExactlyInstanceOf(CapacityException.class)
                    .hasMessage("capacity_unavailable: no browser host capacity in region")
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(503));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));

            CompletableFuture<BrowserSession> later = CompletableFuture.supplyAsync(waiting::browser,
                    r -> Thread.ofVirtual().start(r));
            Thread.sleep(200);
            held.stop();
            try (BrowserSession got = later.get()) {
                assertThat(got.status()).isEqualTo("provisioning");
            }
            assertThat(server.awaitSessionStatus(holder, 404, Duration.ofSeconds(5))).isEqualTo(404);
            assertThat(server.awaitSessionStatus(waiter, 404, Duration.ofSeconds(5))).isEqualTo(404);
        }
    }

    @Test
    void anEndedLeaseIsLeaseInactive() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            Device device = ai.device(t.device().toString());
            server.admin("POST", "/leases/" + t.lease() + "/end", null);
            assertThatThrownBy(device::browser).isExactlyInstanceOf(LeaseInactiveException.class)
                    .hasMessage("lease_inactive: no active lease with a proxy on this device")
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(403));
        }
    }

    @Test
    void anExhaustedMonthlyCapIsDataCap() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        server.admin("PATCH", "/devices/" + t.device(), "{\"monthly_cap_bytes\":0}");
        try (Aimlib ai = server.client(t.key())) {
            assertThatThrownBy(() -> ai.device(t.device().toString()).browser()).isExactlyInstanceOf(DataCapException.class)
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(409));
        }
    }

    @Test
    void anInvalidProfileIsTheBaseException() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            Device device = ai.device(t.device().toString());
            BrowserOptions huge = BrowserOptions.builder().profile(Map.of("fonts", "x".repeat(5000))).build();
            assertThatThrownBy(() -> device.browser(huge)).isExactlyInstanceOf(AimlibException.class)
                    .hasMessageStartingWith("{\"error\":\"profile_invalid\"")
                    .satisfies(e -> assertThat(((AimlibException) e).code()).isEqualTo("profile_invalid"));
        }
    }

    @Test
    void notReadyInTimeIsSessionTimeout() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key());
             BrowserSession session = ai.device(t.device().toString()).browser(BrowserOptions.builder().ttl(60).build())) {
            assertThatThrownBy(() -> session.waitUntilReady(Duration.ofMillis(1))).isExactlyInstanceOf(SessionTimeoutException.class)
                    .hasMessageContaining("not ready within");
            assertThat(session.waitUntilReady().status()).isIn("ready", "active", "idle");
        }
        assertThat(server.awaitSessionStatus(t, 404, Duration.ofSeconds(5))).isEqualTo(404);
    }

    @Test
    void aSessionPastItsTtlIsSessionExpiredAtTheRelay() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key());
             BrowserSession session = ai.device(t.device().toString()).browser(BrowserOptions.builder().ttl("1m").build())) {
            session.waitUntilReady();
            server.fx.advance(Duration.ofMinutes(2));
            assertThatThrownBy(session::connect).isExactlyInstanceOf(SessionExpiredException.class)
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(403))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(session.connectToken()));
        }
        assertThat(server.awaitSessionStatus(t, 404, Duration.ofSeconds(5))).isEqualTo(404);
    }
}
