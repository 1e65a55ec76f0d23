package com.aimlib.gateway.proxy;

import static com.aimlib.gateway.proxy.ProxyClients.curl;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.proxy.ProxyClients.CurlResult;
import com.aimlib.gateway.proxy.ProxyClients.Socks;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy front end to end on loopback: real curl, real sockets, real PostgreSQL; devices are played
 * by {@link DirectDeviceStreams} until the tunnel lands.
 */
class ProxyFrontTest {
    static Database db;
    static Accounts accounts;
    static Gateway gateway;
    static DirectDeviceStreams devices;
    static LocalServers origin;
    static Accounts.Customer customer;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        accounts = new Accounts(db, box);
        devices = new DirectDeviceStreams();
        origin = new LocalServers();
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box, devices);
        customer = accounts.createCustomer("proxy-test", 5);
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        devices.close();
        origin.close();
        db.close();
    }

    /** A device with its own lease and proxy. */
    record Leased(Accounts.Device device, Accounts.Lease lease, Accounts.Proxy proxy) {
        String socks() {
            return "socks5h://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + gateway.socksPort();
        }

        String http() {
            return "http://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + gateway.httpProxyPort();
        }
    }

    static Leased lease(Long capBytes) {
        Accounts.Device d = accounts.createDevice("dev-" + UUID.randomUUID(), "local", "test", 1, capBytes);
        Accounts.Lease l = accounts.createLease(customer.id(), d.id(), null, "socks5");
        return new Leased(d, l, accounts.proxyForLease(l.id()).orElseThrow());
    }

    @Test
    void curlThroughSocks5hReachesTheOriginByName() throws Exception {
        Leased p = lease(null);
        CurlResult r = curl("-x", p.socks(), "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.text()).startsWith("hello GET host=localhost:" + origin.http4Port());
    }

    @Test
    void curlThroughSocks5WithIpv4AndIpv6Addresses() throws Exception {
        Leased p = lease(null);
        String socks5 = p.socks().replace("socks5h://", "socks5://");
        CurlResult v4 = curl("-x", socks5, "http://127.0.0.1:" + origin.http4Port() + "/hello");
        assertThat(v4.exit()).as(v4.stderr()).isZero();
        assertThat(v4.text()).contains("from=127.0.0.1");
        CurlResult v6 = curl("-x", socks5, "http://[::1]:" + origin.http6Port() + "/hello");
        assertThat(v6.exit()).as(v6.stderr()).isZero();
        assertThat(v6.text()).contains("from=0:0:0:0:0:0:0:1");
    }

    @Test
    void curlHttpsThroughSocks5hAndThroughHttpConnect() throws Exception {
        Leased p = lease(null);
        String url = "https://localhost:" + origin.httpsPort() + "/hello";
        CurlResult viaSocks = curl("-k", "-x", p.socks(), url);
        assertThat(viaSocks.exit()).as(viaSocks.stderr()).isZero();
        assertThat(viaSocks.text()).startsWith("hello GET");
        CurlResult viaConnect = curl("-k", "-x", p.http(), url);
        assertThat(viaConnect.exit()).as(viaConnect.stderr()).isZero();
        assertThat(viaConnect.text()).startsWith("hello GET");
    }

    @Test
    void curlPlainHttpIsForwardedWithoutProxyCredentials() throws Exception {
        Leased p = lease(null);
        CurlResult r = curl("-x", p.http(), "-d", "payload", "http://localhost:" + origin.http4Port() + "/hello?x=1");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.text()).startsWith("hello POST host=localhost:" + origin.http4Port() + " proxyauth=false");
        CurlResult tunnelled = curl("-p", "-x", p.http(), "http://127.0.0.1:" + origin.http4Port() + "/hello");
        assertThat(tunnelled.exit()).as(tunnelled.stderr()).isZero();
        assertThat(tunnelled.text()).startsWith("hello GET");
    }

    @Test
    void wrongOrMissingCredentialsAreRefused() throws Exception {
        Leased p = lease(null);
        String target = "http://127.0.0.1:" + origin.http4Port() + "/hello";
        CurlResult socks = curl("-x", p.socks().replace(p.proxy().password(), "wrong"), target);
        assertThat(socks.exit()).isEqualTo(97);
        CurlResult http = curl("-i", "-x", p.http().replace(p.proxy().password(), "wrong"), target);
        assertThat(http.text()).startsWith("HTTP/1.1 407").contains("Proxy-Authenticate: Basic realm=\"aimlib\"")
                .contains("\"error\":\"proxy_auth_required\"");
        CurlResult none = curl("-i", "-x", "http://127.0.0.1:" + gateway.httpProxyPort(), target);
        assertThat(none.text()).startsWith("HTTP/1.1 407");
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.greet()).isEqualTo(2);
            assertThat(s.auth("nobody", "nothing")).isEqualTo(1);
            assertThat(s.closedByPeer()).isTrue();
        }
    }

    @Test
    void socksRefusesBindUdpAndUnknownAddressTypes() throws Exception {
        Leased p = lease(null);
        for (int command : new int[] {2, 3, 9}) {
            try (Socks s = new Socks(gateway.socksPort())) {
                s.greet();
                s.auth(p.proxy().username(), p.proxy().password());
                assertThat(s.request(command, 1, new byte[] {127, 0, 0, 1}, 80)).as("command %d", command).isEqualTo(7);
                assertThat(s.closedByPeer()).isTrue();
            }
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            s.greet();
            s.auth(p.proxy().username(), p.proxy().password());
            assertThat(s.request(1, 5, new byte[] {1, 2, 3, 4}, 80)).isEqualTo(8);
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            s.out.write(new byte[] {5, 1, 0});
            assertThat(s.in.readNBytes(2)).containsExactly(5, 0xff);
            assertThat(s.closedByPeer()).isTrue();
        }
    }

    @Test
    void deviceFailuresMapToProtocolReplies() throws Exception {
        Leased p = lease(null);
        int closedPort;
        try (var ss = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = ss.getLocalPort();
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(p.proxy().username(), p.proxy().password(), closedPort)).isEqualTo(5);
        }
        CurlResult refused = curl("-i", "-x", p.http(), "http://127.0.0.1:" + closedPort + "/");
        assertThat(refused.text()).startsWith("HTTP/1.1 502").contains("connection_refused");
        devices.offline.add(p.device().id());
        try {
            try (Socks s = new Socks(gateway.socksPort())) {
                assertThat(s.open(p.proxy().username(), p.proxy().password(), origin.http4Port())).isEqualTo(3);
            }
            CurlResult offline = curl("-i", "-x", p.http(), "http://127.0.0.1:" + origin.http4Port() + "/hello");
            assertThat(offline.text()).startsWith("HTTP/1.1 502").contains("\"message\":\"device offline\"");
        } finally {
            devices.offline.remove(p.device().id());
        }
        devices.rotating.add(p.device().id());
        try {
            String auth = "Proxy-Authorization: Basic " + java.util.Base64.getEncoder().encodeToString(
                    (p.proxy().username() + ":" + p.proxy().password()).getBytes(StandardCharsets.UTF_8)) + "\r\n";
            assertThat(raw("CONNECT 127.0.0.1:" + origin.http4Port() + " HTTP/1.1\r\n" + auth + "\r\n"))
                    .startsWith("HTTP/1.1 503").contains("\"error\":\"device_rotating\"");
            try (Socks s = new Socks(gateway.socksPort())) {
                assertThat(s.open(p.proxy().username(), p.proxy().password(), origin.http4Port())).isEqualTo(3);
            }
        } finally {
            devices.rotating.remove(p.device().id());
        }
    }

    @Test
    void halfClosedStreamStillDeliversTheOtherDirection() throws Exception {
        Leased p = lease(null);
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(p.proxy().username(), p.proxy().password(), origin.echo.getLocalPort())).isZero();
            s.out.write("ping".getBytes(StandardCharsets.US_ASCII));
            s.socket.shutdownOutput();
            // The echo server sees our EOF through the device stream, and still gets its bytes back to us.
            assertThat(new String(s.in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping|eof-seen");
        }
    }

    @Test
    void endingALeaseClosesItsConnectionsAndRefusesNewOnes() throws Exception {
        Leased hooked = lease(null);
        Leased polled = lease(null);
        try (Socks a = new Socks(gateway.socksPort()); Socks b = new Socks(gateway.socksPort())) {
            assertThat(a.open(hooked.proxy().username(), hooked.proxy().password(), origin.echo.getLocalPort())).isZero();
            assertThat(b.open(polled.proxy().username(), polled.proxy().password(), origin.echo.getLocalPort())).isZero();
            long t0 = System.nanoTime();
            // Through the hook (what the admin endpoint calls) ...
            assertThat(accounts.endLease(hooked.lease().id())).isTrue();
            gateway.leaseEnds().leaseEnded(hooked.lease().id());
            // ... and without it: the database poll finds the ended lease.
            assertThat(accounts.endLease(polled.lease().id())).isTrue();
            assertThat(a.closedByPeer()).isTrue();
            assertThat(b.closedByPeer()).isTrue();
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(hooked.proxy().username(), hooked.proxy().password(), origin.echo.getLocalPort())).isEqualTo(2);
        }
        CurlResult http = curl("-i", "-x", polled.http(), "http://127.0.0.1:" + origin.http4Port() + "/hello");
        assertThat(http.text()).startsWith("HTTP/1.1 403").contains("lease_inactive");
    }

    @Test
    void spentCapRefusesNewConnectionsAndClosesOpenOnes() throws Exception {
        long cap = 300_000;
        Leased p = lease(cap);
        try (Socks idle = new Socks(gateway.socksPort())) {
            assertThat(idle.open(p.proxy().username(), p.proxy().password(), origin.echo.getLocalPort())).isZero();
            CurlResult big = curl("-x", p.socks(), "http://127.0.0.1:" + origin.http4Port() + "/bytes?n=5000000");
            assertThat(big.exit()).isNotZero();
            assertThat((long) big.body().length).isLessThanOrEqualTo(cap);
            assertThat(idle.closedByPeer()).isTrue();
        }
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(p.proxy().username(), p.proxy().password(), origin.http4Port())).isEqualTo(2);
        }
        CurlResult http = curl("-i", "-x", p.http(), "http://127.0.0.1:" + origin.http4Port() + "/hello");
        assertThat(http.text()).startsWith("HTTP/1.1 403")
                .contains("{\"error\":\"data_cap_exceeded\",\"message\":\"device monthly cellular cap reached\"}");
        gateway.proxyFront().flushUsage();
        long recorded = db.jdbi().withHandle(h -> h.createQuery(
                "SELECT bytes_up + bytes_down FROM device_usage WHERE device_id = :d").bind("d", p.device().id()).mapTo(Long.class).one());
        assertThat(recorded).isEqualTo(cap);
    }

    @Test
    void usageIsCountedPerDeviceMonthAndPerLease() throws Exception {
        Leased p = lease(null);
        CurlResult r = curl("-x", p.socks(), "-o", "/dev/null", "-w", "%{size_download}",
                "http://127.0.0.1:" + origin.http4Port() + "/bytes?n=2000000");
        assertThat(r.exit()).as(r.stderr()).isZero();
        gateway.proxyFront().flushUsage();
        var device = db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT bytes_up, bytes_down, month FROM device_usage WHERE device_id = :d").bind("d", p.device().id())
                .mapToMap().one());
        assertThat((Long) device.get("bytes_down")).isBetween(2_000_000L, 2_001_000L);
        assertThat((Long) device.get("bytes_up")).isBetween(50L, 1_000L);
        assertThat(device.get("month").toString()).isEqualTo(java.time.LocalDate.now(java.time.ZoneOffset.UTC).withDayOfMonth(1).toString());
        var lease = db.jdbi().withHandle(h -> h.createQuery("SELECT bytes_up, bytes_down FROM leases WHERE id = :l")
                .bind("l", p.lease().id()).mapToMap().one());
        assertThat(lease.get("bytes_down")).isEqualTo(device.get("bytes_down"));
        assertThat(lease.get("bytes_up")).isEqualTo(device.get("bytes_up"));
    }

    @Test
    void slowReaderStopsTheDeviceSide() throws Exception {
        Leased p = lease(null);
        try (Socks s = new Socks(gateway.socksPort())) {
            s.socket.setReceiveBufferSize(64 * 1024);
            assertThat(s.open(p.proxy().username(), p.proxy().password(), origin.source.getLocalPort())).isZero();
            long before = origin.sourceWritten.get();
            s.in.readNBytes(1000);
            Thread.sleep(1500);
            long stalled = origin.sourceWritten.get();
            Thread.sleep(500);
            // Nothing reads: the source must be stopped by full windows, not buffered by the gateway.
            assertThat(origin.sourceWritten.get() - stalled).isZero();
            assertThat(stalled - before).isLessThan(32L * 1024 * 1024);
            byte[] more = s.in.readNBytes(10 * 1024 * 1024);
            assertThat(more).hasSize(10 * 1024 * 1024);
        }
    }

    @Test
    void malformedHttpProxyRequestsGetHttpErrors() throws Exception {
        Leased p = lease(null);
        String auth = "Proxy-Authorization: Basic " + java.util.Base64.getEncoder().encodeToString(
                (p.proxy().username() + ":" + p.proxy().password()).getBytes(StandardCharsets.UTF_8)) + "\r\n";
        assertThat(raw("GET /relative HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("GET ftp://x/ HTTP/1.1\r\n" + auth + "\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("CONNECT nohostport HTTP/1.1\r\n" + auth + "\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("CONNECT 127.0.0.1:99999 HTTP/1.1\r\n" + auth + "\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("\u0001\u0002garbage\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("GET http://x/" + "a".repeat(10_000) + " HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 414");
        assertThat(raw("GET http://x/ HTTP/1.1\r\nX: " + "a".repeat(20_000) + "\r\n\r\n")).startsWith("HTTP/1.1 431");
    }

    private static String raw(String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.httpProxyPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
