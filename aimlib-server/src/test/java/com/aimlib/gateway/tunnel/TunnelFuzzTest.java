package com.aimlib.gateway.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Seeded mutation fuzzing of the tunnel's two parsers: the HTTP/1.1 upgrade and the CONNECT stream set-up. */
class TunnelFuzzTest {
    static final long SEED = Long.getLong("fuzz.seed", 20261121L);
    static final Duration BUDGET = Duration.ofSeconds(4);
    static final Pattern ANSWER = Pattern.compile("HTTP/1\\.1 (101|400|401|404|426|503) .*", Pattern.DOTALL);

    static Database db;
    static Gateway gateway;
    static LoopbackTargets targets;
    static UUID device;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        device = new Accounts(db, box).createDevice("fuzz", "local", null, 1, null).id();
        token = new AgentStore(db).mintToken(device).orElseThrow().token();
        targets = new LoopbackTargets();
    }

    @AfterAll
    static void stop() throws Exception {
        targets.close();
        gateway.close();
        db.close();
    }

    @Test
    void mutatedUpgradeRequestsGetAnHttpErrorOrACloseNeverAHang() throws Exception {
        Random random = new Random(SEED);
        byte[] valid = TunnelTest.upgradeRequest(device, token).getBytes(StandardCharsets.ISO_8859_1);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int cases = 0;
        while (System.nanoTime() < deadline) {
            byte[] input = mutate(valid, random);
            String answer = exchange(input);
            assertThat(answer.isEmpty() || ANSWER.matcher(answer).matches())
                    .as("seed %d case %d answered %s", SEED, cases, answer.lines().findFirst().orElse(""))
                    .isTrue();
            cases++;
        }
        assertThat(cases).isGreaterThan(50);
        assertThat(exchange(new byte[20_000])).startsWith("HTTP/1.1 400");
        assertThat(exchange("GET /tunnel/v1 HTTP/1.1\r\nX: ".concat("a".repeat(10_000)).concat("\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))).startsWith("HTTP/1.1 400");
        assertTunnelStillWorks();
    }

    @Test
    void mutatedStreamSetUpsGetARefusalNeverAHang() throws Exception {
        int echo = targets.echo();
        try (Agent agent = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device, token, "default", null, null, null, 1)),
                AgentSettings.defaults().withEgress(TunnelTest.LOOPBACK).withRotation(Duration.ofMillis(500), Duration.ofSeconds(5)), 1)) {
            awaitConnections(1);
            Random random = new Random(SEED);
            long deadline = System.nanoTime() + BUDGET.toNanos();
            int cases = 0;
            int refused = 0;
            while (System.nanoTime() < deadline) {
                TunnelConnection connection = gateway.tunnels().anyConnection(device);
                Http2Headers headers = randomSetUp(random, echo);
                try {
                    Channel ch = connection.openRaw(headers, random.nextInt(8) == 0).get(5, TimeUnit.SECONDS);
                    ch.close();
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(DeviceStreamException.class);
                    refused++;
                }
                cases++;
            }
            assertThat(cases).isGreaterThan(100);
            assertThat(refused).isGreaterThan(cases / 4);
            assertThat(agent.connected(device)).isEqualTo(1);
            StreamClient s = StreamClient.open(gateway.deviceStreams(), device, "127.0.0.1", echo);
            s.write("alive");
            assertThat(new String(s.await(5, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("alive");
            s.channel.close().sync();
        }
    }

    @Test
    void connectAuthoritiesAreParsedWithoutSurprises() {
        Random random = new Random(SEED);
        for (int i = 0; i < 20_000; i++) {
            String s = randomAuthority(random, 1234);
            var parsed = com.aimlib.agent.AgentFuzzAccess.parse(s);
            if (parsed != null) {
                assertThat(parsed.port()).isBetween(1, 65535);
                assertThat(parsed.host()).isNotEmpty().doesNotContain("/", " ", "@");
            }
        }
        assertThat(com.aimlib.agent.AgentFuzzAccess.parse("example.com:443")).isNotNull();
        assertThat(com.aimlib.agent.AgentFuzzAccess.parse("[::1]:80").host()).isEqualTo("::1");
        assertThat(com.aimlib.agent.AgentFuzzAccess.parse("example.com:0")).isNull();
        assertThat(com.aimlib.agent.AgentFuzzAccess.parse("example.com:65536")).isNull();
        assertThat(com.aimlib.agent.AgentFuzzAccess.parse("a b:80")).isNull();
    }

    private static void assertTunnelStillWorks() throws Exception {
        int echo = targets.echo();
        try (Agent ignored = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device, token, "default", null, null, null, 1)), AgentSettings.defaults().withEgress(TunnelTest.LOOPBACK), 1)) {
            awaitConnections(1);
            StreamClient s = StreamClient.open(gateway.deviceStreams(), device, "127.0.0.1", echo);
            s.write("ok");
            assertThat(new String(s.await(2, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("ok");
            s.channel.close().sync();
        }
    }

    private static void awaitConnections(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gateway.tunnels().connections(device) != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gateway.tunnels().connections(device)).isEqualTo(n);
    }

    /** Writes the bytes, half-closes, and reads until the gateway closes; a read timeout is a hang. */
    private static String exchange(byte[] input) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.tunnelPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(input);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            try {
                while ((n = in.read(buf)) >= 0 && got.size() < 65_536) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the gateway neither answered nor closed: " + got.toString(StandardCharsets.ISO_8859_1));
            } catch (java.net.SocketException reset) {
                // a reset is a close
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    static byte[] mutate(byte[] valid, Random r) {
        byte[] b = valid.clone();
        int rounds = 1 + r.nextInt(4);
        for (int i = 0; i < rounds; i++) {
            switch (r.nextInt(7)) {
                case 0 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 1 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
                case 3 -> {
                    int at = r.nextInt(b.length + 1);
                    byte[] junk = new byte[1 + r.nextInt(64)];
                    r.nextBytes(junk);
                    b = splice(b, at, at, junk);
                }
                case 4 -> {
                    int from = r.nextInt(b.length);
                    int to = Math.min(b.length, from + 1 + r.nextInt(32));
                    b = splice(b, from, to, new byte[0]);
                }
                case 5 -> {
                    int at = r.nextInt(b.length + 1);
                    String[] tokens = {"\r\n", "\n", ":", " ", "\r\n\r\n", "Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n",
                            "Upgrade: h2c\r\n", "\0", "HTTP/1.0", "%00"};
                    b = splice(b, at, at, tokens[r.nextInt(tokens.length)].getBytes(StandardCharsets.ISO_8859_1));
                }
                default -> {
                    int from = r.nextInt(b.length);
                    int to = Math.min(b.length, from + 1 + r.nextInt(64));
                    byte[] dup = java.util.Arrays.copyOfRange(b, from, to);
                    b = splice(b, to, to, dup);
                }
            }
            if (b.length == 0) {
                b = new byte[] {'G'};
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        byte[] out = new byte[b.length - (to - from) + insert.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(b, to, out, from + insert.length, b.length - to);
        return out;
    }

    static Http2Headers randomSetUp(Random r, int echoPort) {
        Http2Headers h = new DefaultHttp2Headers(false);
        String[] methods = {"CONNECT", "CONNECT", "CONNECT", "GET", "POST", "connect", "PUT", "X", ""};
        String method = methods[r.nextInt(methods.length)];
        if (r.nextInt(10) != 0) {
            h.method(method);
        }
        if (r.nextInt(10) != 0) {
            h.authority(randomAuthority(r, echoPort));
        }
        if (r.nextInt(5) == 0) {
            h.path(r.nextBoolean() ? "/agent/v1/nope" : "/" + Long.toHexString(r.nextLong()));
        }
        if (r.nextInt(6) == 0) {
            h.scheme("https");
        }
        if (r.nextInt(6) == 0) {
            h.add("x-junk", Long.toString(r.nextLong()));
        }
        return h;
    }

    static String randomAuthority(Random r, int port) {
        String[] hosts = {"127.0.0.1", "localhost", "[::1]", "[zz]", "", "a".repeat(300), "no-such.invalid", "127.0.0.1:1",
                "éxample", "ex ample", "ex/ample", "user@host", "[127.0.0.1]", "::1"};
        String[] ports = {String.valueOf(port), "0", "65536", "99999999999", "-1", "", "80a", "1", String.valueOf(port)};
        String s = hosts[r.nextInt(hosts.length)] + (r.nextInt(10) == 0 ? "" : ":") + ports[r.nextInt(ports.length)];
        if (r.nextInt(4) == 0 && !s.isEmpty()) {
            char[] c = s.toCharArray();
            c[r.nextInt(c.length)] = (char) r.nextInt(128);
            s = new String(c);
        }
        return s;
    }
}
