package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.net.EventLoops;
import com.aimlib.testing.Danted;
import com.aimlib.testing.WhoAmI;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The per-session bridge: forwarding and tunnelling through the upstream, the data cap, and a seeded fuzz of its parser. */
class SessionBridgeTest {
    static Danted danted;
    static WhoAmI whoami;
    static EventLoopGroup group;

    @BeforeAll
    static void start() throws Exception {
        danted = Danted.start();
        whoami = new WhoAmI();
        group = EventLoops.group(1, "bridge-test");
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        whoami.close();
        danted.close();
    }

    static String exchange(int port, byte[] request, int readTimeoutMs) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(readTimeoutMs);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // the answer so far is what we have
            }
            return sb.toString();
        }
    }

    static byte[] get(String url) {
        String hostPort = url.substring("http://".length(), url.indexOf('/', "http://".length()));
        return ("GET " + url + " HTTP/1.1\r\nHost: " + hostPort + "\r\nProxy-Connection: close\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void forwardsAndTunnelsThroughTheUpstreamAndCountsBytes() throws Exception {
        try (SessionBridge bridge = new SessionBridge(group, "socks5", danted.address(), "user", "pass", 1_000_000)) {
            int port = bridge.start();
            assertThat(exchange(port, get(whoami.url("/a")), 3000)).startsWith("HTTP/1.1 200").endsWith(Danted.EGRESS);
            String hostPort = whoami.url("/").substring(7, whoami.url("/").length() - 1);
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(3000);
                s.getOutputStream().write(("CONNECT " + hostPort + " HTTP/1.1\r\nHost: " + hostPort + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[4096];
                int n = s.getInputStream().read(buf);
                assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
                s.getOutputStream().write(("GET /t HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String body = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(body).startsWith("HTTP/1.1 200").endsWith(Danted.EGRESS);
            }
            assertThat(bridge.bytes()).isGreaterThan(200);
        }
    }

    @Test
    void pastTheCapTheBridgeStopsCarrying() throws Exception {
        try (SessionBridge bridge = new SessionBridge(group, "socks5", danted.address(), "u", "p", 100_000)) {
            int port = bridge.start();
            String r = exchange(port, get(whoami.url("/big")), 3000);
            assertThat(r.length()).isLessThan(1024 * 1024);
            assertThat(bridge.capReached()).isTrue();
            assertThat(exchange(port, get(whoami.url("/a")), 1000)).isEmpty();
        }
    }

    @Test
    void seededFuzzNeverBreaksTheBridge() throws Exception {
        Random rnd = new Random(4242);
        String hostPort = whoami.url("/").substring(7, whoami.url("/").length() - 1);
        String[] seeds = {
                new String(get(whoami.url("/x?y=1")), StandardCharsets.US_ASCII),
                "CONNECT " + hostPort + " HTTP/1.1\r\nHost: " + hostPort + "\r\n\r\n",
                "CONNECT [::1]:99999 HTTP/1.1\r\n\r\n",
                "GET /relative HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST http://" + hostPort + "/p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        };
        try (SessionBridge bridge = new SessionBridge(group, "socks5", danted.address(), "u", "p", Long.MAX_VALUE)) {
            int port = bridge.start();
            long end = System.nanoTime() + 4_000_000_000L;
            int cases = 0;
            while (System.nanoTime() < end) {
                byte[] b = seeds[rnd.nextInt(seeds.length)].getBytes(StandardCharsets.ISO_8859_1);
                int edits = 1 + rnd.nextInt(6);
                for (int e = 0; e < edits && b.length > 0; e++) {
                    int at = rnd.nextInt(b.length);
                    switch (rnd.nextInt(4)) {
                        case 0 -> b[at] = (byte) rnd.nextInt(256);
                        case 1 -> b = java.util.Arrays.copyOf(b, at);
                        case 2 -> {
                            byte[] n = new byte[b.length + 1];
                            System.arraycopy(b, 0, n, 0, at);
                            n[at] = (byte) "\r\n: /%[]0x".charAt(rnd.nextInt(10));
                            System.arraycopy(b, at, n, at + 1, b.length - at);
                            b = n;
                        }
                        default -> {
                            byte[] n = new byte[b.length + 64];
                            System.arraycopy(b, 0, n, 0, b.length);
                            rnd.nextBytes(java.util.Arrays.copyOfRange(n, b.length, n.length));
                            b = n;
                        }
                    }
                }
                exchange(port, b, 150);
                cases++;
            }
            assertThat(cases).isGreaterThan(10);
            assertThat(exchange(port, get(whoami.url("/after")), 3000)).startsWith("HTTP/1.1 200").endsWith(Danted.EGRESS);
        }
    }
}
