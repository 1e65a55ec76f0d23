package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.aimlib.store.Accounts;
import com.aimlib.testing.BrowserFixture;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DevicesAndTicketsTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = Server.shared();
    }

    @Test
    void listsAndLooksUpLeasedDevicesWithoutShowingTheProxyPassword() {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            List<Device> devices = ai.devices().list();
            assertThat(devices).hasSize(1);
            Device d = devices.get(0);
            assertThat(d.id()).isEqualTo(t.device().toString());
            assertThat(d.region()).isEqualTo("local");
            assertThat(d.leaseId()).isEqualTo(t.lease().toString());
            Proxy p = d.proxy();
            assertThat(p.protocol()).isEqualTo("socks5");
            assertThat(p.status()).isEqualTo("active");
            assertThat(p.url()).startsWith("socks5h://" + p.username() + ":" + p.password() + "@");
            assertThat(p.password()).isNotBlank();
            assertThat(p.toString()).doesNotContain(p.password()).contains("***");
            assertThat(d.toString()).doesNotContain(p.password());

            assertThat(ai.devices().get(t.device().toString()).id()).isEqualTo(d.id());
            assertThat(ai.device(t.device().toString()).proxy().url()).isEqualTo(p.url());
            assertThatThrownBy(() -> ai.device(UUID.randomUUID().toString()))
                    .isExactlyInstanceOf(AimlibException.class).hasMessageContaining("not leased");
        }
    }

    @Test
    void profilesListsTheCatalogue() {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            com.aimlib.protocol.ProfilesBody body = ai.profiles().list();
            assertThat(body.version()).isNotBlank();
            assertThat(body.profiles()).hasSizeGreaterThanOrEqualTo(21);
            assertThat(body.profiles()).anySatisfy(p -> {
                assertThat(p.name()).isEqualTo("galaxy-s24-ultra");
                assertThat(p.model()).isEqualTo("SM-S928B");
                assertThat(p.gpu()).isEqualTo("Adreno (TM) 750");
            });
            assertThat(body.profiles().getLast().name()).isEqualTo("random");
        }
    }

    @Test
    void anHttpLeaseProxyCarriesARealClientThroughTheDevice() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        Accounts.Device second = server.fx.accounts.createDevice("http-" + UUID.randomUUID(), "local", "test", 1, null);
        server.fx.startAgent(second.id());
        server.fx.accounts.createLease(t.customer(), second.id(), null, "http");
        try (Aimlib ai = server.client(t.key())) {
            Proxy p = ai.device(second.id().toString()).proxy();
            assertThat(p.protocol()).isEqualTo("http");
            assertThat(p.url()).startsWith("http://");
            try (HttpClient http = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(p.host(), p.port()))).build()) {
                String basic = Base64.getEncoder().encodeToString((p.username() + ":" + p.password()).getBytes(StandardCharsets.UTF_8));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.fx.whoami.url("/ip")))
                        .header("Proxy-Authorization", "Basic " + basic).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(BrowserFixture.EGRESS);
            }
        }
    }

    @Test
    void theSingleProxyPortUrlsAndTheDeviceHealthReachTheSdk() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            Proxy p = ai.device(t.device().toString()).proxy();
            URI http = URI.create(p.httpUrl());
            URI socks = URI.create(p.socks5hUrl());
            assertThat(http.getScheme()).isEqualTo("http");
            assertThat(socks.getScheme()).isEqualTo("socks5h");
            assertThat(http.getPort()).isEqualTo(socks.getPort()).isEqualTo(p.port());
            assertThat(http.getRawUserInfo()).isEqualTo(socks.getRawUserInfo()).isEqualTo(p.username() + ":" + p.password());
            assertThat(p.toString()).doesNotContain(p.password());
            // An HTTP client at the SOCKS5 port: the gateway tells the protocols apart.
            try (HttpClient client = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(http.getHost(), http.getPort()))).build()) {
                String basic = Base64.getEncoder().encodeToString((p.username() + ":" + p.password()).getBytes(StandardCharsets.UTF_8));
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.fx.whoami.url("/ip")))
                        .header("Proxy-Authorization", "Basic " + basic).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(BrowserFixture.EGRESS);
            }
            // The device's agent answers the gateway's health rounds (every 15 s by default).
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            com.aimlib.protocol.DeviceHealthBody h = ai.device(t.device().toString()).health();
            while (!"healthy".equals(h.status()) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                h = ai.device(t.device().toString()).health();
            }
            assertThat(h.status()).isEqualTo("healthy");
            assertThat(h.rttMs()).isNotNull().isGreaterThanOrEqualTo(0.0);
            assertThat(h.updatedAt()).isNotNull();
        }
    }

    @Test
    void ticketsBothWays() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key())) {
            Ticket created = ai.tickets().create("device.browser() times out", "Repro: ...");
            assertThat(created.status()).isEqualTo("open");
            assertThat(created.awaitingCloseFrom()).isEqualTo("both");
            assertThat(created.messages()).singleElement().satisfies(m -> {
                assertThat(m.author()).isEqualTo("customer");
                assertThat(m.body()).isEqualTo("Repro: ...");
            });

            server.admin("POST", "/tickets/" + created.id() + "/messages", "{\"body\":\"Which device?\"}");
            Ticket read = ai.tickets().get(created.id());
            assertThat(read.messages()).extracting(m -> m.author() + ":" + m.body())
                    .containsExactly("customer:Repro: ...", "operator:Which device?");

            Ticket replied = ai.tickets().reply(created.id(), "Tried a fresh key, same result.");
            assertThat(replied.messages()).hasSize(3);
            Ticket closedByUs = ai.tickets().close(created.id());
            assertThat(closedByUs.status()).isEqualTo("open");
            assertThat(closedByUs.awaitingCloseFrom()).isEqualTo("operator");
            assertThat(closedByUs.complete()).isFalse();

            server.admin("POST", "/tickets/" + created.id() + "/close", null);
            Ticket done = ai.tickets().get(created.id());
            assertThat(done.status()).isEqualTo("closed");
            assertThat(done.complete()).isTrue();
            assertThat(done.awaitingCloseFrom()).isNull();

            Ticket reopened = ai.tickets().reply(created.id(), "It happened again.");
            assertThat(reopened.status()).isEqualTo("open");
            assertThat(reopened.customerClosed()).isFalse();
            assertThat(reopened.operatorClosed()).isFalse();
            assertThat(ai.tickets().list()).extracting(Ticket::id).containsExactly(created.id());
        }
    }

    @Test
    void unmappedErrorsAreTheBaseExceptionWithTheResponseText() {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib bad = server.client("ak_live_not_a_key")) {
            assertThatThrownBy(() -> bad.devices().list()).isExactlyInstanceOf(AimlibException.class)
                    .hasMessage("{\"error\":\"unauthorized\"}")
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(401));
        }
        try (Aimlib ai = server.client(t.key())) {
            assertThatThrownBy(() -> ai.tickets().get(UUID.randomUUID().toString())).isExactlyInstanceOf(AimlibException.class)
                    .hasMessage("{\"error\":\"ticket not found\"}");
        }
    }

    @Test
    void aKeyIsRequiredAndTheDocumentedGatewayIsTheDefault() {
        assumeTrue(System.getenv("AIMLIB_API_KEY") == null && System.getenv("AIMLIB_BASE_URL") == null);
        assertThatThrownBy(Aimlib::fromEnvironment).isExactlyInstanceOf(AimlibException.class).hasMessageContaining("AIMLIB_API_KEY");
        try (Aimlib ai = Aimlib.builder().apiKey("ak_live_x").build()) {
            assertThat(ai.baseUrl()).isEqualTo("https://uswest1.aimlib.com");
            assertThat(ai.toString()).doesNotContain("ak_live_x");
        }
    }

    @Test
    void oneClientServesManyVirtualThreads() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        try (Aimlib ai = server.client(t.key()); var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Device>>> calls = java.util.stream.IntStream.range(0, 50)
                    .mapToObj(i -> pool.submit(() -> ai.devices().list())).toList();
            for (Future<List<Device>> f : calls) {
                assertThat(f.get()).hasSize(1);
            }
        }
    }
}
