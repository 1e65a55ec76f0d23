package com.aimlib.gateway.proxy;

import static com.aimlib.gateway.proxy.ProxyClients.curl;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.api.ApiClient;
import com.aimlib.gateway.proxy.ProxyClients.CurlResult;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The unified proxy port (the SOCKS5 port) over real sockets: curl speaks SOCKS5h, HTTP CONNECT and plain HTTP
 * forwarding to it, the device object names it in {@code http_url} and {@code socks5h_url} beside the unchanged
 * {@code url}, the separate HTTP port keeps working, and clients that speak neither get a quick, clear end.
 */
class UnifiedProxyPortTest {
    static Database db;
    static Accounts accounts;
    static Gateway gateway;
    static DirectDeviceStreams devices;
    static LocalServers origin;
    static Accounts.Customer customer;
    static String key;
    static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        accounts = new Accounts(db, box);
        devices = new DirectDeviceStreams();
        origin = new LocalServers();
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box, devices);
        customer = accounts.createCustomer("unified-port", 5);
        key = accounts.mintKey(customer.id(), "k", Set.of("proxies.read"), null).plaintext();
        api = new ApiClient(gateway);
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        devices.close();
        origin.close();
        db.close();
    }

    static Accounts.Proxy lease(String protocol) {
        Accounts.Device d = accounts.createDevice("dev-" + UUID.randomUUID(), "local", "test", 1, null);
        Accounts.Lease l = accounts.createLease(customer.id(), d.id(), null, protocol);
        return accounts.proxyForLease(l.id()).orElseThrow();
    }

    static String unified(String scheme, Accounts.Proxy p) {
        return scheme + "://" + p.username() + ":" + p.password() + "@127.0.0.1:" + gateway.socksPort();
    }

    @Test
    void curlSpeaksBothProtocolsToTheOnePort() throws Exception {
        Accounts.Proxy p = lease("socks5");
        String target = "http://localhost:" + origin.http4Port() + "/hello";
        CurlResult socks = curl("-x", unified("socks5h", p), target);
        assertThat(socks.exit()).as(socks.stderr()).isZero();
        assertThat(socks.text()).startsWith("hello GET host=localhost:" + origin.http4Port());
        CurlResult forward = curl("-x", unified("http", p), "-d", "x", target);
        assertThat(forward.exit()).as(forward.stderr()).isZero();
        assertThat(forward.text()).startsWith("hello POST host=localhost:" + origin.http4Port() + " proxyauth=false");
        CurlResult connect = curl("-p", "-x", unified("http", p), target);
        assertThat(connect.exit()).as(connect.stderr()).isZero();
        assertThat(connect.text()).startsWith("hello GET");
        CurlResult tls = curl("-k", "-x", unified("http", p), "https://localhost:" + origin.httpsPort() + "/hello");
        assertThat(tls.exit()).as(tls.stderr()).isZero();
        assertThat(tls.text()).startsWith("hello GET");
        CurlResult wrong = curl("-i", "-x", unified("http", p).replace(p.password(), "wrong"), target);
        assertThat(wrong.text()).as("HTTP refusals on the unified port are the HTTP front's").startsWith("HTTP/1.1 407");
    }

    @Test
    void theSeparateHttpPortStillServesHttp() throws Exception {
        Accounts.Proxy p = lease("http");
        CurlResult r = curl("-x", "http://" + p.username() + ":" + p.password() + "@127.0.0.1:" + gateway.httpProxyPort(),
                "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.text()).startsWith("hello GET");
    }

    @Test
    void theDeviceObjectNamesTheUnifiedPortBesideTheDocumentedUrl() throws Exception {
        Accounts.Proxy socks = lease("socks5");
        Accounts.Proxy http = lease("http");
        JsonNode list = ApiClient.json(api.get("/v1/devices", key));
        for (JsonNode d : list) {
            JsonNode proxy = d.get("proxy");
            Accounts.Proxy p = proxy.get("id").asText().equals(socks.id().toString()) ? socks
                    : proxy.get("id").asText().equals(http.id().toString()) ? http : null;
            if (p == null) {
                continue;
            }
            String documented = p == socks ? unified("socks5h", p)
                    : "http://" + p.username() + ":" + p.password() + "@127.0.0.1:" + gateway.httpProxyPort();
            assertThat(proxy.get("url").asText()).isEqualTo(documented);
            assertThat(proxy.get("http_url").asText()).isEqualTo(unified("http", p));
            assertThat(proxy.get("socks5h_url").asText()).isEqualTo(unified("socks5h", p));
            assertThat(proxy.fieldNames()).toIterable().containsExactly("id", "protocol", "url", "status", "http_url", "socks5h_url");
            CurlResult viaHttpUrl = curl("-x", proxy.get("http_url").asText(), "http://localhost:" + origin.http4Port() + "/hello");
            assertThat(viaHttpUrl.text()).startsWith("hello GET");
        }
    }

    @Test
    void aSlowClientSendingOneByteAtATimeIsServed() throws Exception {
        Accounts.Proxy p = lease("socks5");
        String auth = Base64.getEncoder().encodeToString((p.username() + ":" + p.password()).getBytes(StandardCharsets.UTF_8));
        byte[] head = ("CONNECT 127.0.0.1:" + origin.http4Port() + " HTTP/1.1\r\nProxy-Authorization: Basic " + auth + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.socksPort())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            for (byte b : head) {
                out.write(b);
                out.flush();
                Thread.sleep(2);
            }
            assertThat(readLine(s.getInputStream())).isEqualTo("HTTP/1.1 200 Connection established");
        }
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.socksPort())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            for (byte b : new byte[] {5, 1, 2}) {
                out.write(b);
                out.flush();
                Thread.sleep(20);
            }
            InputStream in = s.getInputStream();
            assertThat(new byte[] {(byte) in.read(), (byte) in.read()}).containsExactly(5, 2);
        }
    }

    @Test
    void tlsSocks4AndGarbageGetAQuickClearEnd() throws Exception {
        long t0 = System.nanoTime();
        CurlResult tls = curl("-x", "https://u:p@127.0.0.1:" + gateway.socksPort(), "http://localhost:" + origin.http4Port() + "/");
        assertThat(tls.exit()).as("curl with an https:// proxy URL: TLS handshake failure (35), " + tls.stderr()).isEqualTo(35);
        CurlResult socks4 = curl("-x", "socks4://127.0.0.1:" + gateway.socksPort(), "http://127.0.0.1:" + origin.http4Port() + "/");
        assertThat(socks4.exit()).as("curl over SOCKS4: request rejected (97), " + socks4.stderr()).isEqualTo(97);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("refusals are immediate, not the 10 s deadline").isLessThan(5_000);
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.socksPort())) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(new byte[] {0, 1, 2, 3});
            assertThat(readOrReset(s.getInputStream())).as("garbage: closed").isEqualTo(-1);
        }
        // Many connections that close before a byte: nothing piles up, the port still serves.
        for (int i = 0; i < 200; i++) {
            new Socket(InetAddress.getByName("127.0.0.1"), gateway.socksPort()).close();
        }
        Accounts.Proxy p = lease("socks5");
        CurlResult after = curl("-x", unified("http", p), "http://localhost:" + origin.http4Port() + "/hello");
        assertThat(after.text()).startsWith("hello GET");
        // No client channel is left open by any of it.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (gateway.proxyFront().openClients() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gateway.proxyFront().openClients()).isZero();
    }

    @Test
    void aSilentClientIsClosedAtTheHandshakeDeadline() throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.socksPort())) {
            s.setSoTimeout(20_000);
            long t0 = System.nanoTime();
            assertThat(readOrReset(s.getInputStream())).isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("closed at the 10 s deadline, not before").isBetween(9_000L, 15_000L);
        }
    }

    private static int readOrReset(InputStream in) throws Exception {
        try {
            return in.read();
        } catch (SocketException reset) {
            return -1;
        }
    }

    private static String readLine(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
