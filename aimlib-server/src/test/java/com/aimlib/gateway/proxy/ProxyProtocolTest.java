package com.aimlib.gateway.proxy;

import static com.aimlib.gateway.proxy.ProxyClients.curl;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 12: the gateway behind a real HAProxy (Debian's package) that speaks the PROXY protocol — v2 to the SOCKS5
 * (unified) port and the tunnel port, v1 to the HTTP proxy port. Traffic flows through the balancer, the gateway sees
 * each customer's own address (a failed login is logged, and counted for back-off, against the client, never the
 * balancer), and a connection that does not start with a PROXY header — someone reaching the port around the
 * balancer — is closed without an answer, whatever bytes it sends (fuzzed), leaving the listener serving.
 */
class ProxyProtocolTest {
    static Database db;
    static Accounts accounts;
    static Gateway gateway;
    static DirectDeviceStreams devices;
    static LocalServers origin;
    static Accounts.Customer customer;
    static Process haproxy;
    static Path dir;
    static int socksFront;
    static int httpFront;
    static int tunnelFront;
    static ListAppender<ILoggingEvent> logs;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        accounts = new Accounts(db, box);
        devices = new DirectDeviceStreams();
        origin = new LocalServers();
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().proxyProtocol(true).build(), db, box, devices);
        customer = accounts.createCustomer("proxy-protocol", 5);
        logs = new ListAppender<>();
        logs.start();
        for (Class<?> c : List.of(ProxyAccess.class, com.aimlib.net.ClientAddress.class)) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.setLevel(Level.INFO);
            l.addAppender(logs);
        }
        socksFront = freePort();
        httpFront = freePort();
        tunnelFront = freePort();
        dir = Files.createTempDirectory("haproxy");
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, """
                global
                    log stderr format raw local0 err
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend socks
                    bind 127.0.0.1:%d
                    default_backend socks
                backend socks
                    server gw 127.0.0.1:%d send-proxy-v2
                frontend http
                    bind 127.0.0.1:%d
                    default_backend http
                backend http
                    server gw 127.0.0.1:%d send-proxy
                frontend tunnel
                    bind 127.0.0.1:%d
                    default_backend tunnel
                backend tunnel
                    server gw 127.0.0.1:%d send-proxy-v2
                """.formatted(socksFront, gateway.socksPort(), httpFront, gateway.httpProxyPort(), tunnelFront, gateway.tunnelPort()));
        haproxy = new ProcessBuilder("/usr/sbin/haproxy", "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        for (int port : new int[] {socksFront, httpFront, tunnelFront}) {
            awaitListening(port);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            haproxy.waitFor(10, TimeUnit.SECONDS);
        }
        gateway.close();
        devices.close();
        origin.close();
        db.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (java.io.IOException e) {
                if (System.nanoTime() > end || !haproxy.isAlive()) {
                    throw new AssertionError("haproxy did not listen on " + port + ": " + Files.readString(dir.resolve("haproxy.log")), e);
                }
                Thread.sleep(50);
            }
        }
    }

    static Accounts.Proxy lease(String protocol) {
        Accounts.Device d = accounts.createDevice("dev-" + UUID.randomUUID(), "local", "test", 1, null);
        Accounts.Lease l = accounts.createLease(customer.id(), d.id(), null, protocol);
        return accounts.proxyForLease(l.id()).orElseThrow();
    }

    private static List<String> loginFailures() {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            if (e.getFormattedMessage().startsWith("event=proxy_login_failed")) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    @Test
    void trafficFlowsThroughTheBalancerOnBothProtocolsAndVersions() throws Exception {
        Accounts.Proxy socks = lease("socks5");
        Accounts.Proxy http = lease("http");
        String target = "http://localhost:" + origin.http4Port() + "/hello";
        ProxyClients.CurlResult viaV2 = curl("--interface", "127.0.0.31", "-x",
                "socks5h://" + socks.username() + ":" + socks.password() + "@127.0.0.1:" + socksFront, target);
        assertThat(viaV2.exit()).as(viaV2.stderr()).isZero();
        assertThat(viaV2.text()).startsWith("hello GET");
        ProxyClients.CurlResult httpOnUnified = curl("--interface", "127.0.0.31", "-p", "-x",
                "http://" + socks.username() + ":" + socks.password() + "@127.0.0.1:" + socksFront, target);
        assertThat(httpOnUnified.exit()).as(httpOnUnified.stderr()).isZero();
        assertThat(httpOnUnified.text()).startsWith("hello GET");
        ProxyClients.CurlResult viaV1 = curl("--interface", "127.0.0.32", "-x",
                "http://" + http.username() + ":" + http.password() + "@127.0.0.1:" + httpFront, target);
        assertThat(viaV1.exit()).as(viaV1.stderr()).isZero();
        assertThat(viaV1.text()).startsWith("hello GET");
    }

    @Test
    void aFailedLoginIsTheClientsNotTheBalancers() throws Exception {
        Accounts.Proxy socks = lease("socks5");
        Accounts.Proxy http = lease("http");
        String target = "http://localhost:" + origin.http4Port() + "/hello";
        int before = loginFailures().size();
        curl("--interface", "127.0.0.41", "-x", "socks5h://" + socks.username() + ":wrong@127.0.0.1:" + socksFront, target);
        ProxyClients.CurlResult refused = curl("--interface", "127.0.0.42", "-i", "-x",
                "http://" + http.username() + ":wrong@127.0.0.1:" + httpFront, target);
        assertThat(refused.text()).startsWith("HTTP/1.1 407");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loginFailures().size() < before + 2 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        List<String> failures = loginFailures().subList(before, loginFailures().size());
        assertThat(failures).contains("event=proxy_login_failed source=127.0.0.41", "event=proxy_login_failed source=127.0.0.42");
        assertThat(failures).noneMatch(f -> f.endsWith("source=127.0.0.1"));
    }

    @Test
    void theTunnelPortReadsTheHeaderToo() throws Exception {
        // Through the balancer the agent's upgrade request is parsed (401: no such device token); around it, closed.
        try (Socket s = new Socket("127.0.0.1", tunnelFront)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /tunnel/v1 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: aimlib-tunnel/1\r\n"
                    + "Authorization: Bearer at_nothing\r\nAimlib-Device: " + UUID.randomUUID() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(answer).isEqualTo("HTTP/1.1 401");
        }
        assertThat(closedWithoutAnAnswer(gateway.tunnelPort(), "GET /tunnel/v1 HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isTrue();
    }

    @Test
    void aConnectionAroundTheBalancerIsClosedWithoutAnAnswerWhateverItSends() throws Exception {
        Accounts.Proxy socks = lease("socks5");
        ProxyClients.CurlResult direct = curl("-x", "socks5h://" + socks.username() + ":" + socks.password() + "@127.0.0.1:"
                + gateway.socksPort(), "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(direct.exit()).as("a SOCKS5 client that skips the balancer").isNotZero();
        assertThat(closedWithoutAnAnswer(gateway.socksPort(), new byte[] {5, 1, 2})).isTrue();
        assertThat(closedWithoutAnAnswer(gateway.httpProxyPort(), "CONNECT a:1 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).isTrue();
        // A v1 header that claims a source but is malformed, and a v2 signature with a bad version or length.
        byte[] sig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        List<byte[]> bad = new ArrayList<>();
        bad.add("PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
        bad.add("PROXY TCP4 1.2.3.4\r\n".getBytes(StandardCharsets.US_ASCII));
        bad.add(concat(sig, new byte[] {0x31, 0x11, 0x00, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2}));      // version 3
        bad.add(concat(sig, new byte[] {0x21, 0x11, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4}));                   // length past the end
        Random random = new Random(12);
        for (int i = 0; i < 40; i++) {
            byte[] b = new byte[1 + random.nextInt(200)];
            random.nextBytes(b);
            if (i % 2 == 0) {
                b = concat(sig, b);                                                                            // a valid signature, junk after
            }
            bad.add(b);
        }
        for (byte[] b : bad) {
            assertThat(closedWithoutAnAnswer(gateway.socksPort(), b)).as("closed, nothing answered").isTrue();
        }
        assertThat(logs.list).as("no stack trace, nothing above INFO")
                .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN) || e.getThrowableProxy() != null);
        // Still serving through the balancer.
        ProxyClients.CurlResult after = curl("-x", "socks5h://" + socks.username() + ":" + socks.password() + "@127.0.0.1:" + socksFront,
                "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(after.exit()).as(after.stderr()).isZero();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Sends {@code bytes}, half-closes, and reports whether the server closed without writing a byte (within 15 s). */
    private static boolean closedWithoutAnAnswer(int port, byte[] bytes) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            try {
                return in.read() == -1;
            } catch (java.net.SocketException e) {
                return true; // reset: closed with unread bytes
            } catch (SocketTimeoutException e) {
                return false;
            }
        }
    }
}
