package com.aimlib.gateway.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.Channel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TunnelTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static AgentStore agentStore;
    static LoopbackTargets targets;
    static String operatorKey;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    /** Loopback targets stand in for the internet here: the agent may reach them. */
    static final EgressPolicy LOOPBACK = EgressPolicy.parse("127.0.0.0/8,::1");
    static final AgentSettings FAST = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .withRotation(Duration.ofMillis(300), Duration.ofSeconds(10)).withEgress(LOOPBACK);

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
        agentStore = new AgentStore(db);
        targets = new LoopbackTargets();
        operatorKey = "ak_op_" + Secrets.randomAlphanumeric(40);
        // Accounts.insertKey binds a null customer as varchar, which PostgreSQL rejects: insert the row directly.
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO api_keys (id, kind, name, prefix, key_hash) VALUES (:id, 'operator', 'ops', 'ak_op_x', :hash)""")
                .bind("id", UUID.randomUUID()).bind("hash", Secrets.hash(operatorKey)).execute());
    }

    @AfterAll
    static void stop() throws Exception {
        targets.close();
        gateway.close();
        db.close();
    }

    record Device(UUID id, String token) {
    }

    static Device device() {
        UUID id = accounts.createDevice("d-" + UUID.randomUUID(), "local", null, 1, null).id();
        return new Device(id, agentStore.mintToken(id).orElseThrow().token());
    }

    static Agent agent(Device d, String bind, AgentSettings settings, String rotate, String whatIsMyIp) throws Exception {
        Agent a = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(d.id(), d.token(), bind, "TestCarrier", rotate, whatIsMyIp, 2)), settings, 1);
        awaitOnline(d.id(), 2);
        return a;
    }

    static void awaitOnline(UUID id, int connections) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (gateway.tunnels().connections(id) != connections && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(gateway.tunnels().connections(id)).isEqualTo(connections);
    }

    static DeviceStreamException.Reason failureOf(CompletableFuture<Channel> f) throws Exception {
        try {
            Channel ch = f.get(10, TimeUnit.SECONDS);
            ch.close();
            return null;
        } catch (ExecutionException e) {
            return ((DeviceStreamException) e.getCause()).reason();
        }
    }

    static HttpResponse<String> admin(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                .header("Authorization", "Bearer " + operatorKey)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void bytesFlowBothWaysThroughTheTunnel() throws Exception {
        Device d = device();
        int echo = targets.echo();
        try (Agent ignored = agent(d, "127.0.0.1", FAST, null, null)) {
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            byte[] payload = new byte[3 << 20];
            new Random(1).nextBytes(payload);
            for (int off = 0; off < payload.length; off += 100_000) {
                s.write(java.util.Arrays.copyOfRange(payload, off, Math.min(payload.length, off + 100_000)));
            }
            s.shutdownOutput();
            s.inputEnded.get(10, TimeUnit.SECONDS);
            byte[] got = s.bytes();
            assertThat(got.length).isEqualTo(payload.length + 5);
            assertThat(MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(got, payload.length)))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));
            assertThat(new String(got, payload.length, 5, StandardCharsets.US_ASCII)).isEqualTo("<bye>");
            assertThat(s.channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aTunnelOnLoopbackUsesCubicAtBothEnds() throws Exception {
        Device d = device();
        int echo = targets.echo();
        try (Agent ignored = agent(d, "127.0.0.1", FAST, null, null)) {
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            assertThat(EventLoops.congestionControl(s.channel.parent())).isEqualTo("cubic");
            // The agent's end, read from the kernel: every established socket towards the tunnel port.
            Process ss = new ProcessBuilder("ss", "-tinH", "state", "established", "dport", "=", ":" + gateway.tunnelPort())
                    .redirectErrorStream(true).start();
            List<String> lines = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("\t") || l.startsWith(" ")).map(String::trim).toList();
            assertThat(ss.waitFor()).isZero();
            assertThat(lines).hasSizeGreaterThanOrEqualTo(2).allSatisfy(l -> assertThat(l).startsWith("cubic "));
            s.channel.close();
        }
    }

    @Test
    void theStandaloneDemoDeviceGetsAnInProcessAgent() throws Exception {
        UUID id = accounts.createDevice("demo-device", "local", null, 1, null).id();
        int who = targets.whoAmI();
        try (Agent ignored = com.aimlib.standalone.LocalAgent.startIfPresent(gateway, "demo-device", gateway.baseUrl() + "/ip",
                EgressPolicy.parse("127.0.0.1:" + who))) {
            awaitOnline(id, 2);
            awaitColumn(id, "current_egress_ip", "127.0.0.1"); // probed at the gateway's own what-is-my-IP page
            assertThat(StreamClient.open(gateway.deviceStreams(), id, "127.0.0.1", who).awaitLine(Duration.ofSeconds(5)))
                    .isEqualTo("127.0.0.1");
        }
        assertThat(com.aimlib.standalone.LocalAgent.startIfPresent(gateway, "no-such-device", null, EgressPolicy.strict())).isNull();
    }

    @Test
    void hostNamesAreResolvedOnTheAgent() throws Exception {
        Device d = device();
        int who = targets.whoAmI();
        try (Agent ignored = agent(d, "default", FAST, null, null)) {
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "localhost", who);
            assertThat(s.awaitLine(Duration.ofSeconds(5))).startsWith("127.");
            s.channel.close();
            assertThat(failureOf(gateway.deviceStreams().open(d.id(), "no-such-host.invalid", 80)))
                    .isEqualTo(DeviceStreamException.Reason.HOST_NOT_FOUND);
            assertThat(failureOf(gateway.deviceStreams().open(d.id(), "127.0.0.1", LoopbackTargets.closedPort())))
                    .isEqualTo(DeviceStreamException.Reason.CONNECTION_REFUSED);
        }
    }

    @Test
    void eachDeviceLeavesFromItsOwnBinding() throws Exception {
        Device two = device();
        Device three = device();
        int who = targets.whoAmI();
        String myIp = targets.whatIsMyIp();
        try (Agent a = agent(two, "127.0.0.2", FAST, null, myIp); Agent b = agent(three, "127.0.0.3", FAST, null, myIp)) {
            for (int i = 0; i < 4; i++) {
                StreamClient s2 = StreamClient.open(gateway.deviceStreams(), two.id(), "127.0.0.1", who);
                assertThat(s2.awaitLine(Duration.ofSeconds(5))).as("stream %s", s2.channel).isEqualTo("127.0.0.2");
                StreamClient s3 = StreamClient.open(gateway.deviceStreams(), three.id(), "127.0.0.1", who);
                assertThat(s3.awaitLine(Duration.ofSeconds(5))).as("stream %s", s3.channel).isEqualTo("127.0.0.3");
            }
            awaitColumn(two.id(), "current_egress_ip", "127.0.0.2");
            awaitColumn(three.id(), "current_egress_ip", "127.0.0.3");
            assertThat(column(two.id(), "carrier")).isEqualTo("TestCarrier");
            assertThat(column(two.id(), "status")).isEqualTo("online");
        }
        awaitColumn(two.id(), "status", "offline");
    }

    @Test
    void halfCloseDeliversTheOtherDirection() throws Exception {
        Device d = device();
        int echo = targets.echo();
        try (Agent ignored = agent(d, "127.0.0.1", FAST, null, null)) {
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            s.write("ping");
            assertThat(new String(s.await(4, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("ping");
            s.shutdownOutput();
            // The target only answers "<bye>" after it read our EOF: it crossed the tunnel while our side was shut.
            s.inputEnded.get(5, TimeUnit.SECONDS);
            assertThat(s.text()).isEqualTo("ping<bye>");
        }
    }

    @Test
    void aSlowReaderStopsTheAgentReadingTheTarget() throws Exception {
        Device d = device();
        AtomicLong written = new AtomicLong();
        int flood = targets.flood(written);
        try (Agent agent = agent(d, "127.0.0.1", FAST, null, null)) {
            Channel ch = gateway.deviceStreams().open(d.id(), "127.0.0.1", flood).get(5, TimeUnit.SECONDS);
            StreamClient s = StreamClient.attach(ch, false);
            long stalled = awaitStable(written);
            // Stream window (8 MiB) + the agent's and kernel's socket buffers: bounded, not the 1 GB the target would send.
            assertThat(stalled).isLessThan(48L << 20);
            assertThat(s.bytes()).isEmpty();
            ch.config().setAutoRead(true);
            s.await((int) stalled + (8 << 20), Duration.ofSeconds(10));
            assertThat((long) s.bytes().length).isGreaterThan(stalled + (4 << 20));
            ch.close();
        }
    }

    @Test
    void newStreamsAvoidTheConnectionBusyWithABulkTransfer() throws Exception {
        Device d = device();
        AtomicLong written = new AtomicLong();
        int flood = targets.flood(written);
        int echo = targets.echo();
        try (Agent ignored = agent(d, "127.0.0.1", FAST, null, null)) {
            Channel bulk = gateway.deviceStreams().open(d.id(), "127.0.0.1", flood).get(5, TimeUnit.SECONDS);
            AtomicLong received = new AtomicLong();
            bulk.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                    received.addAndGet(((io.netty.buffer.ByteBuf) msg).readableBytes());
                    io.netty.util.ReferenceCountUtil.release(msg);
                }
            });
            bulk.config().setAutoRead(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.get() < (16 << 20) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(received.get()).isGreaterThanOrEqualTo(16 << 20);
            // By stream count alone the second of these would tie with the bulk's connection and could land there,
            // queueing its bytes behind the download's (at a 100 ms RTT: +70 ms, bench/tunnel/RttBench.java).
            List<Channel> small = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                small.add(gateway.deviceStreams().open(d.id(), "127.0.0.1", echo).get(5, TimeUnit.SECONDS));
            }
            for (Channel ch : small) {
                assertThat(ch.parent()).isNotNull().isNotSameAs(bulk.parent());
                ch.close();
            }
            bulk.close();
        }
    }

    private static long awaitStable(AtomicLong counter) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 100; i++) {
            Thread.sleep(200);
            long now = counter.get();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("the target never stopped writing: " + counter.get());
    }

    @Test
    void killingTheAgentFailsOpenStreamsAndReconnectingRestoresService() throws Exception {
        Device d = device();
        int echo = targets.echo();
        Agent first = agent(d, "127.0.0.1", FAST, null, null);
        StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
        s.write("x");
        s.await(1, Duration.ofSeconds(5));
        first.abort();
        assertThat(s.channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        awaitOnline(d.id(), 0);
        long t0 = System.nanoTime();
        assertThat(failureOf(gateway.deviceStreams().open(d.id(), "127.0.0.1", echo)))
                .isEqualTo(DeviceStreamException.Reason.DEVICE_OFFLINE);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
        awaitColumn(d.id(), "status", "offline");
        try (Agent ignored = agent(d, "127.0.0.1", FAST, null, null)) {
            StreamClient again = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            again.write("back");
            assertThat(new String(again.await(4, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("back");
            awaitColumn(d.id(), "status", "online");
        }
    }

    @Test
    void aDeadPathIsDetectedByKeepAliveAndTheAgentRedials() throws Exception {
        Device d = device();
        int echo = targets.echo();
        AgentSettings quick = FAST.withTunnel(FAST.tunnel().withKeepAlive(Duration.ofMillis(200), Duration.ofMillis(1000)));
        try (FreezableRelay relay = new FreezableRelay(gateway.tunnelPort());
             Agent agent = Agent.start("127.0.0.1", relay.port(), false,
                     List.of(new DeviceConfig(d.id(), d.token(), "default", null, null, null, 2)), quick, 1)) {
            awaitOnline(d.id(), 2);
            long t = System.nanoTime();
            while (agent.connected(d.id()) < 2 && System.nanoTime() - t < TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(10);
            }
            relay.freeze(true);
            long t0 = System.nanoTime();
            while (agent.connected(d.id()) > 0 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
                Thread.sleep(20);
            }
            long detectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(agent.connected(d.id())).isZero();
            // Configured: dead after 1 s of silence (production: 15 s), plus one ping interval of slack.
            assertThat(detectedMs).isBetween(800L, 1600L);
            relay.freeze(false);
            long t1 = System.nanoTime();
            while (agent.connected(d.id()) < 2 && System.nanoTime() - t1 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(20);
            }
            assertThat(agent.connected(d.id())).isEqualTo(2);
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            s.write("again");
            assertThat(new String(s.await(5, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("again");
        }
    }

    @Test
    void aKilledAgentProcessFailsOpenStreamsAndARestartedOneServesAgain() throws Exception {
        Device d = device();
        int echo = targets.echo();
        Path config = Files.createTempFile("agent", ".json");
        Files.writeString(config, """
                {"gateway": "127.0.0.1:%d", "egress_allow": "127.0.0.0/8", "devices": [
                  {"id": "%s", "token": "%s", "bind": "127.0.0.2", "carrier": "ProcCarrier", "pool": 2}]}
                """.formatted(gateway.tunnelPort(), d.id(), d.token()));
        Process first = agentProcess(config);
        try {
            awaitOnline(d.id(), 2);
            StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            s.write("before");
            s.await(6, Duration.ofSeconds(5));
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertThat(s.channel.closeFuture().await(5, TimeUnit.SECONDS)).as("open stream closed").isTrue();
            awaitOnline(d.id(), 0);
            assertThat(failureOf(gateway.deviceStreams().open(d.id(), "127.0.0.1", echo)))
                    .isEqualTo(DeviceStreamException.Reason.DEVICE_OFFLINE);
        } finally {
            first.destroyForcibly();
        }
        Process second = agentProcess(config);
        try {
            awaitOnline(d.id(), 2);
            StreamClient again = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
            again.write("after");
            assertThat(new String(again.await(5, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("after");
            awaitColumn(d.id(), "carrier", "ProcCarrier");
            awaitColumn(d.id(), "current_egress_ip", "127.0.0.2");
        } finally {
            second.destroy();
            second.waitFor(15, TimeUnit.SECONDS);
        }
    }

    /** {@code aimlib agent --config <file>} as its own JVM, the way operators run it. */
    static Process agentProcess(Path config) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "com.aimlib.Main", "agent", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void gracefulShutdownLetsInFlightStreamsFinish() throws Exception {
        Device d = device();
        int echo = targets.echo();
        Agent agent = agent(d, "127.0.0.1", FAST.withRotation(Duration.ofSeconds(5), Duration.ofSeconds(5)), null, null);
        StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(agent::close);
        awaitOnline(d.id(), 0);
        assertThat(failureOf(gateway.deviceStreams().open(d.id(), "127.0.0.1", echo)))
                .isEqualTo(DeviceStreamException.Reason.DEVICE_OFFLINE);
        s.write("still here");
        s.shutdownOutput();
        s.inputEnded.get(5, TimeUnit.SECONDS);
        assertThat(s.text()).isEqualTo("still here<bye>");
        closing.get(10, TimeUnit.SECONDS);
    }

    @Test
    void rotationChangesTheEgressIpAndRefusesStreamsMeanwhile() throws Exception {
        Device d = device();
        Path bindFile = Files.createTempFile("bind", ".txt");
        Files.writeString(bindFile, "127.0.0.2");
        int who = targets.whoAmI();
        String myIp = targets.whatIsMyIp();
        String rotate = "sleep 0.5; printf 127.0.0.3 > " + bindFile;
        try (Agent ignored = agent(d, "file:" + bindFile, FAST, rotate, myIp)) {
            awaitColumn(d.id(), "current_egress_ip", "127.0.0.2");
            CompletableFuture<HttpResponse<String>> rotation = CompletableFuture.supplyAsync(() -> {
                try {
                    return admin("POST", "/admin/v1/devices/" + d.id() + "/rotate");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            awaitColumn(d.id(), "status", "rotating");
            long t0 = System.nanoTime();
            assertThat(failureOf(gateway.deviceStreams().open(d.id(), "127.0.0.1", who)))
                    .isEqualTo(DeviceStreamException.Reason.ROTATING);
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
            HttpResponse<String> r = rotation.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("previous_ip").asText()).isEqualTo("127.0.0.2");
            assertThat(body.get("egress_ip").asText()).isEqualTo("127.0.0.3");
            assertThat(column(d.id(), "current_egress_ip")).isEqualTo("127.0.0.3");
            assertThat(column(d.id(), "status")).isEqualTo("online");
            assertThat(StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", who).awaitLine(Duration.ofSeconds(5)))
                    .isEqualTo("127.0.0.3");
            JsonNode history = JSON.readTree(admin("GET", "/admin/v1/devices/" + d.id() + "/egress-history").body()).get("data");
            assertThat(history).hasSize(2);
            assertThat(history.get(0).get("ip").asText()).isEqualTo("127.0.0.3");
            assertThat(history.get(1).get("ip").asText()).isEqualTo("127.0.0.2");
        }
    }

    @Test
    void aRotationThatDoesNotChangeTheIpOrWhoseCommandFailsIsReportedAndServiceResumes() throws Exception {
        Device same = device();
        Device broken = device();
        int echo = targets.echo();
        String myIp = targets.whatIsMyIp();
        AgentSettings quick = FAST.withRotation(Duration.ofMillis(100), Duration.ofSeconds(1));
        try (Agent a = agent(same, "127.0.0.2", quick, "true", myIp); Agent b = agent(broken, "127.0.0.3", quick, "exit 3", myIp)) {
            HttpResponse<String> unchanged = admin("POST", "/admin/v1/devices/" + same.id() + "/rotate");
            assertThat(unchanged.statusCode()).isEqualTo(504);
            assertThat(unchanged.body()).contains("\"error\":\"rotation_timeout\"");
            HttpResponse<String> failed = admin("POST", "/admin/v1/devices/" + broken.id() + "/rotate");
            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(failed.body()).contains("\"error\":\"rotation_failed\"");
            for (Device d : List.of(same, broken)) {
                assertThat(column(d.id(), "status")).isEqualTo("online");
                StreamClient s = StreamClient.open(gateway.deviceStreams(), d.id(), "127.0.0.1", echo);
                s.write("up");
                assertThat(new String(s.await(2, Duration.ofSeconds(5)), StandardCharsets.US_ASCII)).isEqualTo("up");
                s.channel.close();
            }
        }
    }

    @Test
    void rotatingAnOfflineOrUnknownDeviceIsAClearError() throws Exception {
        Device d = device();
        HttpResponse<String> offline = admin("POST", "/admin/v1/devices/" + d.id() + "/rotate");
        assertThat(offline.statusCode()).isEqualTo(409);
        assertThat(offline.body()).contains("\"error\":\"device_offline\"");
        assertThat(admin("POST", "/admin/v1/devices/" + UUID.randomUUID() + "/rotate").statusCode()).isEqualTo(404);
        assertThat(admin("POST", "/admin/v1/devices/nope/rotate").body()).isEqualTo("{\"error\":\"bad id\"}");
    }

    @Test
    void agentTokensAreMintedOnceAndStoredHashed() throws Exception {
        Device d = device();
        HttpResponse<String> r = admin("POST", "/admin/v1/devices/" + d.id() + "/agent-token");
        assertThat(r.statusCode()).isEqualTo(201);
        String token = JSON.readTree(r.body()).get("agent_token").asText();
        assertThat(token).startsWith("at_").hasSize(43);
        byte[] stored = db.jdbi().withHandle(h -> h.createQuery("SELECT agent_token_hash FROM devices WHERE id = :id")
                .bind("id", d.id()).mapTo(byte[].class).one());
        assertThat(stored).isEqualTo(Secrets.hash(token));
        assertThat(agentStore.authenticate(d.id(), d.token())).isFalse();
        assertThat(agentStore.authenticate(d.id(), token)).isTrue();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/admin/v1/devices/" + d.id() + "/agent-token"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(admin("POST", "/admin/v1/devices/" + UUID.randomUUID() + "/agent-token").statusCode()).isEqualTo(404);
    }

    @Test
    void aBadTokenIsRefused() throws Exception {
        Device d = device();
        String answer = rawUpgrade(upgradeRequest(d.id(), "at_wrongwrongwrongwrongwrongwrongwrongwrong"));
        assertThat(answer).startsWith("HTTP/1.1 401");
        Device other = device();
        assertThat(rawUpgrade(upgradeRequest(d.id(), other.token()))).startsWith("HTTP/1.1 401");
        try (Agent a = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(d.id(), "at_bad", "default", null, null, null, 1)), FAST, 1)) {
            Thread.sleep(500);
            assertThat(a.connected(d.id())).isZero();
            assertThat(a.lastFailure(d.id())).isEqualTo("gateway refused the agent token");
        }
        assertThat(gateway.tunnels().online(d.id())).isFalse();
    }

    static String upgradeRequest(UUID device, String token) {
        return "GET /tunnel/v1 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: aimlib-tunnel/1\r\n"
                + "Authorization: Bearer " + token + "\r\nAimlib-Device: " + device + "\r\n\r\n";
    }

    /** Sends raw bytes, half-closes, and returns whatever the gateway answers before it closes. */
    static String rawUpgrade(String request) throws Exception {
        return new String(raw(request.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1);
    }

    static byte[] raw(byte[] request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.tunnelPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return in.readNBytes(4096);
        }
    }

    static String column(UUID id, String column) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT " + column + "::text FROM devices WHERE id = :id")
                .bind("id", id).mapTo(String.class).one());
    }

    static void awaitColumn(UUID id, String column, String value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!value.equals(column(id, column)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(column(id, column)).isEqualTo(value);
    }

}
