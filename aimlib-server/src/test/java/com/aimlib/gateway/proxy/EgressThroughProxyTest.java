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
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The egress policy end to end: a customer's SOCKS5 and HTTP proxy, through the real tunnel and agent, cannot
 * reach what listens on the device machine's loopback (the gateway's own ports, a service, a
 * DevTools-like port) by any spelling, while an operator's allow entry opens exactly what it names.
 */
class EgressThroughProxyTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static final List<Agent> agents = new ArrayList<>();
    static Listener service;
    static Listener devtools;
    /** The devices' proxies: default policy, allowing 127.0.0.0/8, allowing service's host:port only. */
    static Accounts.Proxy strict;
    static Accounts.Proxy cidr;
    static Accounts.Proxy hostPort;

    /** A loopback TCP listener that greets with "hello" and counts what it accepted. */
    static final class Listener implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger accepted = new AtomicInteger();

        Listener() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        accepted.incrementAndGet();
                        s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        // closed: the loop ends
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
        service = new Listener();
        devtools = new Listener();
        // The embedded PostgreSQL listens on a Unix socket only: there is no TCP port a proxy could even name.
        Integer pg = db.jdbi().withHandle(h -> h.createQuery("SELECT inet_server_port()").mapTo(Integer.class).one());
        assertThat(pg).as("the embedded PostgreSQL has no TCP listener").isNull();
        strict = device(EgressPolicy.strict());
        cidr = device(EgressPolicy.parse("127.0.0.0/8"));
        hostPort = device(EgressPolicy.parse("127.0.0.1:" + service.port()));
    }

    static Accounts.Proxy device(EgressPolicy egress) throws Exception {
        Accounts.Device device = accounts.createDevice("egress-" + UUID.randomUUID(), "local", null, 1, null);
        String token = new AgentStore(db).mintToken(device.id()).orElseThrow().token();
        agents.add(Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device.id(), token, "default", null, null, null, 1)),
                AgentSettings.defaults().withEgress(egress), 1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!gateway.tunnels().online(device.id()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gateway.tunnels().online(device.id())).isTrue();
        var customer = accounts.createCustomer("egress-" + UUID.randomUUID(), 1);
        var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        return accounts.proxyForLease(lease.id()).orElseThrow();
    }

    @AfterAll
    static void stop() throws Exception {
        agents.forEach(Agent::close);
        gateway.close();
        service.close();
        devtools.close();
        db.close();
    }

    /** SOCKS5 REP for a CONNECT to {@code host} (a name or numeric spelling as DOMAIN, an IPv6 literal as IPv6). */
    static int socks(Accounts.Proxy p, String host, int port) throws IOException {
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.greet()).isEqualTo(2);
            assertThat(s.auth(p.username(), p.password())).isZero();
            if (host.startsWith("[")) {
                return s.request(1, 4, NetUtil.createByteArrayFromIpAddressString(host.substring(1, host.length() - 1)), port);
            }
            return s.connectDomain(host, port);
        }
    }

    /** The HTTP proxy's answer to {@code CONNECT host:port}: status line and body. */
    static String httpConnect(Accounts.Proxy p, String host, int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.httpProxyPort())) {
            s.setSoTimeout(10_000);
            String auth = Base64.getEncoder().encodeToString((p.username() + ":" + p.password()).getBytes(StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            out.write(("CONNECT " + host + ":" + port + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nProxy-Authorization: Basic " + auth + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buf = new byte[4096];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                int n;
                try {
                    n = in.read(buf);
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
                if (n < 0) {
                    break;
                }
                answer.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                String a = answer.toString();
                int end = a.indexOf("\r\n\r\n");
                if (end >= 0 && (a.startsWith("HTTP/1.1 200") || a.endsWith("}") || a.endsWith("}\n"))) {
                    break;
                }
            }
            return answer.toString();
        }
    }

    static String socksUrl(Accounts.Proxy p) {
        return "socks5h://" + p.username() + ":" + p.password() + "@127.0.0.1:" + gateway.socksPort();
    }

    static String httpUrl(Accounts.Proxy p) {
        return "http://" + p.username() + ":" + p.password() + "@127.0.0.1:" + gateway.httpProxyPort();
    }

    static double refusedAtGateway() {
        var c = gateway.meters().find("aimlib.proxy.refused").tag("reason", "egress_forbidden").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void everyServiceOnTheDeviceMachinesLoopbackIsRefusedWithSocksReply2AndHttp403() throws Exception {
        double before = refusedAtGateway();
        int seen = service.accepted.get() + devtools.accepted.get();
        int[] targets = {gateway.httpPort(), gateway.tunnelPort(), gateway.socksPort(), gateway.httpProxyPort(),
                service.port(), devtools.port()};
        for (int port : targets) {
            assertThat(socks(strict, "127.0.0.1", port)).as("SOCKS5 to 127.0.0.1:%d", port).isEqualTo(2);
            String http = httpConnect(strict, "127.0.0.1", port);
            assertThat(http).as("HTTP CONNECT to 127.0.0.1:%d", port).startsWith("HTTP/1.1 403")
                    .contains("{\"error\":\"egress_forbidden\",\"message\":\"");
        }
        CurlResult viaCurl = curl("-x", httpUrl(strict), "-w", "%{http_code}", "http://127.0.0.1:" + gateway.httpPort() + "/healthz");
        assertThat(viaCurl.text()).startsWith("{\"error\":\"egress_forbidden\"").endsWith("403");
        assertThat(service.accepted.get() + devtools.accepted.get()).as("the listeners never saw a connection").isEqualTo(seen);
        assertThat(refusedAtGateway() - before).as("counted by reason at the gateway").isEqualTo(2.0 * targets.length + 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001", "127.0.0.1.", "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::1]", "[::]", "0.0.0.0", "localhost", "LocalHost",
            "169.254.169.254", "10.0.0.1", "100.64.0.1", "192.168.1.1", "172.16.0.1", "[fe80::1]", "[fc00::1]", "224.0.0.1",
            "240.0.0.1"})
    void eachBypassSpellingIsRefusedAndReachesNothing(String spelling) throws Exception {
        int before = service.accepted.get();
        assertThat(socks(strict, spelling, service.port())).as("SOCKS5 %s", spelling).isEqualTo(2);
        assertThat(httpConnect(strict, spelling, service.port())).as("HTTP CONNECT %s", spelling)
                .startsWith("HTTP/1.1 403").contains("\"error\":\"egress_forbidden\"");
        assertThat(service.accepted.get()).isEqualTo(before);
    }

    @Test
    void aNameResolvingToLoopbackIsRefusedToRealClients() throws Exception {
        int before = service.accepted.get();
        CurlResult socks = curl("-x", socksUrl(strict), "http://localhost:" + service.port() + "/");
        assertThat(socks.exit()).as(socks.stderr()).isEqualTo(97);
        assertThat(socks.stderr()).as("curl names the SOCKS5 reply").contains("(2)");
        CurlResult http = curl("-x", httpUrl(strict), "-w", "%{http_code}", "http://localhost:" + service.port() + "/");
        assertThat(http.text()).startsWith("{\"error\":\"egress_forbidden\"").endsWith("403");
        assertThat(service.accepted.get()).isEqualTo(before);
    }

    @Test
    void anOperatorAllowedRangeReachesTheSameTargets() throws Exception {
        int before = service.accepted.get();
        int devtoolsBefore = devtools.accepted.get();
        assertThat(socks(cidr, "127.0.0.1", service.port())).isZero();
        assertThat(socks(cidr, "localhost", devtools.port())).isZero();
        assertThat(socks(cidr, "2130706433", service.port())).as("any spelling of an allowed address").isZero();
        assertThat(httpConnect(cidr, "127.0.0.1", service.port())).startsWith("HTTP/1.1 200");
        assertThat(socks(cidr, "127.0.0.1", gateway.httpPort())).as("the gateway itself, when an operator allows it").isZero();
        assertThat(socks(cidr, "[::1]", service.port())).as("::1 is not in 127.0.0.0/8").isEqualTo(2);
        assertThat(socks(cidr, "10.0.0.1", service.port())).as("nor is 10.0.0.1").isEqualTo(2);
        awaitAccepted(service, before + 3);
        awaitAccepted(devtools, devtoolsBefore + 1);
    }

    @Test
    void aHostPortAllowEntryOpensThatPortOnly() throws Exception {
        int before = service.accepted.get();
        int devtoolsBefore = devtools.accepted.get();
        assertThat(socks(hostPort, "127.0.0.1", service.port())).isZero();
        assertThat(httpConnect(hostPort, "127.0.0.1", service.port())).startsWith("HTTP/1.1 200");
        assertThat(socks(hostPort, "127.0.0.1", devtools.port())).isEqualTo(2);
        assertThat(socks(hostPort, "127.0.0.1", gateway.tunnelPort())).isEqualTo(2);
        assertThat(httpConnect(hostPort, "127.0.0.1", gateway.httpPort())).startsWith("HTTP/1.1 403");
        awaitAccepted(service, before + 2);
        assertThat(devtools.accepted.get()).isEqualTo(devtoolsBefore);
    }

    private static void awaitAccepted(Listener l, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (l.accepted.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(l.accepted.get()).isEqualTo(n);
    }
}
