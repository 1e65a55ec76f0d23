package com.aimlib.gateway.proxy;

import static com.aimlib.gateway.proxy.ProxyClients.curl;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.proxy.ProxyClients.CurlResult;
import com.aimlib.gateway.proxy.ProxyClients.Socks;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The proxy front through the real device tunnel: client → gateway → HTTP/2 tunnel → agent → origin, all on loopback. */
class ProxyThroughTunnelTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static LocalServers origin;
    static Agent agent;
    static Accounts.Device device;
    static Accounts.Lease lease;
    static Accounts.Proxy proxy;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
        origin = new LocalServers();
        device = accounts.createDevice("tunnelled-" + UUID.randomUUID(), "local", null, 1, null);
        String token = new AgentStore(db).mintToken(device.id()).orElseThrow().token();
        agent = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device.id(), token, "127.0.0.1", "TestCarrier", null, null, 2)),
                AgentSettings.defaults().withEgress(EgressPolicy.parse("127.0.0.0/8,::1")), 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!gateway.tunnels().online(device.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gateway.tunnels().online(device.id())).isTrue();
        var customer = accounts.createCustomer("tunnel-proxy", 1);
        lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        proxy = accounts.proxyForLease(lease.id()).orElseThrow();
    }

    @AfterAll
    static void stop() throws Exception {
        agent.close();
        gateway.close();
        origin.close();
        db.close();
    }

    static String socks() {
        return "socks5h://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + gateway.socksPort();
    }

    static String http() {
        return "http://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + gateway.httpProxyPort();
    }

    @Test
    void curlReachesHttpAndHttpsOriginsThroughTheDevice() throws Exception {
        CurlResult byName = curl("-x", socks(), "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(byName.exit()).as(byName.stderr()).isZero();
        assertThat(byName.text()).startsWith("hello GET host=localhost:" + origin.http4Port());
        CurlResult tls = curl("-k", "-x", http(), "https://localhost:" + origin.httpsPort() + "/hello");
        assertThat(tls.exit()).as(tls.stderr()).isZero();
        assertThat(tls.text()).startsWith("hello GET");
        CurlResult plain = curl("-x", http(), "http://127.0.0.1:" + origin.http4Port() + "/hello");
        assertThat(plain.exit()).as(plain.stderr()).isZero();
        assertThat(plain.text()).contains("proxyauth=false");
        CurlResult bulk = curl("-x", socks(), "-o", "/dev/null", "-w", "%{size_download}",
                "http://127.0.0.1:" + origin.http4Port() + "/bytes?n=50000000");
        assertThat(bulk.text()).isEqualTo("50000000");
    }

    @Test
    void halfCloseCrossesTheTunnel() throws Exception {
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(proxy.username(), proxy.password(), origin.echo.getLocalPort())).isZero();
            s.out.write("ping".getBytes(StandardCharsets.US_ASCII));
            s.socket.shutdownOutput();
            assertThat(new String(s.in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping|eof-seen");
        }
    }

    @Test
    void refusedTargetIsReportedByTheDevice() throws Exception {
        int closed;
        try (var ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = ss.getLocalPort();
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(proxy.username(), proxy.password(), closed)).isEqualTo(5);
        }
    }
}
