package com.aimlib.gateway.rotation;

import static com.aimlib.gateway.rotation.RotationFixture.await;
import static com.aimlib.gateway.rotation.RotationFixture.call;
import static com.aimlib.gateway.rotation.RotationFixture.curl;
import static com.aimlib.gateway.rotation.RotationFixture.httpProxy;
import static com.aimlib.gateway.rotation.RotationFixture.json;
import static com.aimlib.gateway.rotation.RotationFixture.socks;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture.Device;
import com.aimlib.gateway.rotation.RotationFixture.Tenant;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.MutableClock;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Customer IP rotation end to end: a gateway on embedded PostgreSQL, real agents on loopback whose rotate
 * command rewrites their binding file (127.0.0.x → 127.0.0.y), the what-is-my-IP probe, curl and raw SOCKS5
 * through the proxy front, and a second gateway replica on the same database with an injected clock.
 */
class RotationTest {
    static final Duration MIN_INTERVAL = Duration.ofSeconds(60);
    /** Drain 1 s, probing for a new IP 3 s, rotate and restore commands 2 s each, carrier changes seen within 0.2 s. */
    static final AgentSettings AGENT = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .withRotation(Duration.ofSeconds(1), Duration.ofSeconds(3)).withCommandTimeout(Duration.ofSeconds(2))
            .withProbeMaxAge(Duration.ofMillis(200));
    static final String TO_3 = "printf 127.0.0.3 > %f";

    static Database db;
    static SecretBox box;
    static Gateway gateway;
    static Gateway replica;
    static MutableClock replicaClock;
    static Accounts accounts;
    static RotationFixture fx;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts()
                .rotation(RotationSettings.defaults().withMinInterval(MIN_INTERVAL).withPollPeriod(Duration.ofMillis(200))
                        .withObservePeriod(Duration.ofMillis(500)))
                .build(), db, box);
        // A second replica on the same database: its background loop is off, tests drive it with tick() and its clock.
        replicaClock = new MutableClock();
        replica = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(replicaClock)
                .rotation(RotationSettings.defaults().withMinInterval(MIN_INTERVAL).withPollPeriod(Duration.ZERO))
                .build(), db, box);
        accounts = new Accounts(db, box);
        fx = new RotationFixture(db, accounts);
    }

    @AfterAll
    static void stop() throws Exception {
        fx.close();
        replica.close();
        gateway.close();
        db.close();
    }

    static HttpResponse<String> rotate(Gateway g, Tenant t, Device d, String body) throws Exception {
        return call(g, "POST", "/v1/devices/" + d.id() + "/rotate-ip", t.key(), body);
    }

    static JsonNode operation(Gateway g, Tenant t, String id) throws Exception {
        HttpResponse<String> r = call(g, "GET", "/v1/operations/" + id, t.key(), null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    static JsonNode awaitFinished(Gateway g, Tenant t, String id, Duration within) throws Exception {
        JsonNode[] last = new JsonNode[1];
        await(() -> {
            last[0] = operation(g, t, id);
            return Set.of("succeeded", "failed", "timeout").contains(last[0].get("status").asText());
        }, within, "operation " + id + " to finish");
        return last[0];
    }

    /** What the what-is-my-IP origin says, reached through the device's proxy with curl (socks5h). */
    static String ipThroughProxy(Accounts.Proxy p) throws Exception {
        RotationFixture.Curl c = curl("-x", socks(gateway, p), fx.whatIsMyIpUrl());
        assertThat(c.exit()).as(c.err()).isZero();
        return c.out();
    }

    @Test
    void aRotationConfirmsANewIpRecordsItAndTheProxyUsesIt() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, TO_3, null)) {
            assertThat(ipThroughProxy(p)).isEqualTo("127.0.0.2");
            HttpResponse<String> r = rotate(gateway, t, d, "{\"wait\": true}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode op = json(r);
            assertThat(op.get("status").asText()).isEqualTo("succeeded");
            assertThat(op.get("kind").asText()).isEqualTo("rotate_ip");
            assertThat(op.get("trigger").asText()).isEqualTo("api");
            assertThat(op.get("old_ip").asText()).isEqualTo("127.0.0.2");
            assertThat(op.get("new_ip").asText()).isEqualTo("127.0.0.3");
            assertThat(op.get("reason").isNull()).isTrue();
            Instant created = Instant.parse(op.get("created_at").asText());
            Instant started = Instant.parse(op.get("started_at").asText());
            Instant finished = Instant.parse(op.get("finished_at").asText());
            assertThat(created).isBeforeOrEqualTo(started);
            assertThat(started).isBeforeOrEqualTo(finished);
            assertThat(r.headers().firstValue("Location")).hasValue("/v1/operations/" + op.get("operation_id").asText());
            // Any replica answers it, from the database.
            assertThat(operation(replica, t, op.get("operation_id").asText())).isEqualTo(op);

            assertThat(ipThroughProxy(p)).isEqualTo("127.0.0.3");
            assertThat(fx.column(d.id(), "current_egress_ip")).isEqualTo("127.0.0.3");
            assertThat(fx.column(d.id(), "status")).isEqualTo("online");

            HttpResponse<String> ips = call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", t.key(), null);
            assertThat(ips.statusCode()).isEqualTo(200);
            JsonNode list = json(ips);
            assertThat(list).hasSize(2);
            assertThat(list.get(0).get("ip").asText()).isEqualTo("127.0.0.3");
            assertThat(list.get(0).get("source").asText()).isEqualTo("rotation");
            assertThat(list.get(0).get("operation_id").asText()).isEqualTo(op.get("operation_id").asText());
            assertThat(list.get(0).get("current").asBoolean()).isTrue();
            assertThat(list.get(1).get("ip").asText()).isEqualTo("127.0.0.2");
            assertThat(list.get(1).get("source").asText()).isEqualTo("observed");
            assertThat(list.get(1).get("current").asBoolean()).isFalse();
            Instant firstSeenNew = Instant.parse(list.get(0).get("first_seen").asText());
            assertThat(Instant.parse(list.get(1).get("last_seen").asText())).isBeforeOrEqualTo(firstSeenNew);
        }
    }

    @Test
    void aRotateCommandThatLeavesTheIpUnchangedFailsAndTheDeviceKeepsServing() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, "true", null)) {
            HttpResponse<String> r = rotate(gateway, t, d, "{\"wait\": true, \"timeout\": 60}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode op = json(r);
            assertThat(op.get("status").asText()).isEqualTo("failed");
            assertThat(op.get("reason").asText()).isEqualTo("ip_unchanged");
            assertThat(op.get("old_ip").asText()).isEqualTo("127.0.0.2");
            assertThat(op.get("new_ip").asText()).isEqualTo("127.0.0.2");
            assertThat(fx.column(d.id(), "status")).isEqualTo("online");
            assertThat(ipThroughProxy(p)).isEqualTo("127.0.0.2");
            JsonNode list = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", t.key(), null));
            assertThat(list).hasSize(1);
        }
    }

    @Test
    void aHangingRotateCommandTimesOutTheRestoreCommandRunsAndTrafficFlowsWithinFiveSeconds() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        Path restored = Files.createTempFile("restored", ".mark");
        Files.delete(restored);
        // "Airplane mode": the binding becomes an address this host does not have, and the command never returns.
        String rotate = "printf 192.0.2.1 > %f; sleep 600";
        String restore = "printf 127.0.0.2 > %f; touch " + restored;
        try (Agent ignored = fx.agent(gateway, d, AGENT, rotate, restore)) {
            HttpResponse<String> r = rotate(gateway, t, d, "{\"wait\": true}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            long answered = System.nanoTime();
            JsonNode op = json(r);
            assertThat(op.get("status").asText()).isEqualTo("timeout");
            assertThat(op.get("reason").asText()).isEqualTo("rotate_command_timeout");
            assertThat(restored).exists();
            assertThat(d.ip()).isEqualTo("127.0.0.2");
            String ip = null;
            while (System.nanoTime() - answered < TimeUnit.SECONDS.toNanos(5)) {
                RotationFixture.Curl c = curl("--max-time", "2", "-x", socks(gateway, p), fx.whatIsMyIpUrl());
                if (c.exit() == 0) {
                    ip = c.out();
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(ip).as("traffic through the device within 5 s of the timeout").isEqualTo("127.0.0.2");
            assertThat(System.nanoTime() - answered).isLessThan(TimeUnit.SECONDS.toNanos(5));
            assertThat(fx.column(d.id(), "status")).isEqualTo("online");
        }
    }

    @Test
    void proxyConnectionsDuringARotationAreRefusedCleanlyAndServedAfter() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT.withCommandTimeout(Duration.ofSeconds(10)), "sleep 4; " + TO_3, null)) {
            HttpResponse<String> r = rotate(gateway, t, d, "{\"wait\": false}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            String id = json(r).get("operation_id").asText();
            assertThat(json(r).get("status").asText()).isIn("queued", "running");
            await(() -> "rotating".equals(fx.column(d.id(), "status")), Duration.ofSeconds(10), "status rotating");

            // SOCKS5: a reply at once, code 0x03 (network unreachable), no hang.
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.socksPort())) {
                s.setSoTimeout(5000);
                assertThat(socksConnect(s, p, fx.echoPort())).isEqualTo(3);
            }
            assertThat(System.nanoTime() - t0).as("a reply, not a hang").isLessThan(TimeUnit.SECONDS.toNanos(3));
            // HTTP proxy: 503 with the JSON envelope and Retry-After, not a 502 or a hang.
            RotationFixture.Curl c = curl("-i", "-x", httpProxy(gateway, p), fx.whatIsMyIpUrl());
            assertThat(c.out()).startsWith("HTTP/1.1 503");
            assertThat(c.out()).containsIgnoringCase("Retry-After: 5");
            assertThat(c.out()).contains("{\"error\":\"device_rotating\"");
            // curl's own SOCKS5 client names the refusal.
            RotationFixture.Curl viaSocks = curl("-x", socks(gateway, p), fx.whatIsMyIpUrl());
            assertThat(viaSocks.exit()).isEqualTo(97);

            JsonNode op = awaitFinished(gateway, t, id, Duration.ofSeconds(30));
            assertThat(op.get("status").asText()).isEqualTo("succeeded");
            assertThat(ipThroughProxy(p)).isEqualTo("127.0.0.3");
            RotationFixture.Curl after = curl("-x", httpProxy(gateway, p), fx.whatIsMyIpUrl());
            assertThat(after.out()).isEqualTo("127.0.0.3");
        }
    }

    @Test
    void openStreamsKeepFlowingDuringTheDrainAndAreClosedAtItsBound() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, TO_3, null);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.socksPort())) {
            s.setSoTimeout(5000);
            assertThat(socksConnect(s, p, fx.echoPort())).isZero();
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("before".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("before");

            HttpResponse<String> r = rotate(gateway, t, d, "{}");
            assertThat(r.statusCode()).isEqualTo(202);
            long started = System.nanoTime();
            await(() -> "rotating".equals(fx.column(d.id(), "status")), Duration.ofSeconds(10), "status rotating");
            // The open stream still carries bytes while new ones are refused.
            out.write("during".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("during");
            // At the drain bound (1 s) the agent resets it: the client sees the end, well before the 5 s read timeout.
            int read;
            try {
                read = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the open stream was not closed at the drain bound");
            } catch (java.io.IOException e) {
                read = -1;
            }
            long closedAfter = System.nanoTime() - started;
            assertThat(read).isEqualTo(-1);
            assertThat(closedAfter).isLessThan(TimeUnit.MILLISECONDS.toNanos(1000 + 2500));
            JsonNode op = awaitFinished(gateway, t, json(r).get("operation_id").asText(), Duration.ofSeconds(30));
            assertThat(op.get("status").asText()).isEqualTo("succeeded");
            assertThat(Duration.between(Instant.parse(op.get("started_at").asText()), Instant.parse(op.get("finished_at").asText())))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }

    @Test
    void leaseConcurrencyIntervalAndScopeRulesAnswerTheirCodes() throws Exception {
        Tenant t = fx.tenant();
        Tenant other = fx.tenant();
        Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, "sleep 1; " + TO_3, null)) {
            // Another tenant: the device does not exist for it.
            HttpResponse<String> foreign = rotate(gateway, other, d, "{}");
            assertThat(foreign.statusCode()).isEqualTo(404);
            assertThat(foreign.body()).isEqualTo("{\"error\":\"device not found\"}");
            // A key without sessions.write.
            String readOnly = accounts.mintKey(t.customer().id(), "ro", Set.of("proxies.read"), null).plaintext();
            HttpResponse<String> noScope = call(gateway, "POST", "/v1/devices/" + d.id() + "/rotate-ip", readOnly, "{}");
            assertThat(noScope.statusCode()).isEqualTo(403);
            assertThat(json(noScope).get("error").asText()).isEqualTo("forbidden");
            // Bad input.
            assertThat(rotate(gateway, t, d, "{\"wait\": \"yes\"}").statusCode()).isEqualTo(400);
            assertThat(json(rotate(gateway, t, d, "{\"timeout\": 0}")).get("error").asText()).isEqualTo("bad_request");
            assertThat(rotate(gateway, t, d, "[1]").statusCode()).isEqualTo(400);
            assertThat(call(gateway, "POST", "/v1/devices/nope/rotate-ip", t.key(), "{}").body()).isEqualTo("{\"error\":\"bad id\"}");
            int stored = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM device_operations WHERE device_id = :d")
                    .bind("d", d.id()).mapTo(Integer.class).one());
            assertThat(stored).isZero();

            // One at a time, whichever replica is asked.
            HttpResponse<String> first = rotate(gateway, t, d, "{}");
            assertThat(first.statusCode()).isEqualTo(202);
            for (Gateway g : List.of(gateway, replica)) {
                HttpResponse<String> second = rotate(g, t, d, "{}");
                assertThat(second.statusCode()).isEqualTo(409);
                assertThat(json(second).get("error").asText()).isEqualTo("rotation_in_progress");
            }
            JsonNode done = awaitFinished(gateway, t, json(first).get("operation_id").asText(), Duration.ofSeconds(30));
            assertThat(done.get("status").asText()).isEqualTo("succeeded");

            // The minimum interval: 429 rotation_too_soon with Retry-After, never capacity_unavailable.
            HttpResponse<String> soon = rotate(gateway, t, d, "{}");
            assertThat(soon.statusCode()).isEqualTo(429);
            assertThat(json(soon).get("error").asText()).isEqualTo("rotation_too_soon");
            long retryAfter = Long.parseLong(soon.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, MIN_INTERVAL.toSeconds());

            // Only the holder of the device's sole active lease: a former tenant gets rotation_not_allowed.
            accounts.endLease(accounts.leases(t.customer().id()).get(0).id());
            fx.lease(other, d);
            HttpResponse<String> former = rotate(gateway, t, d, "{}");
            assertThat(former.statusCode()).isEqualTo(409);
            assertThat(json(former).get("error").asText()).isEqualTo("rotation_not_allowed");
        }
        // An offline device.
        Tenant t2 = fx.tenant();
        Device offline = fx.device("127.0.0.2");
        fx.lease(t2, offline);
        HttpResponse<String> r = rotate(gateway, t2, offline, "{}");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(json(r).get("error").asText()).isEqualTo("device_offline");
    }

    @Test
    void operationsAndIpHistoryStayWithTheirTenant() throws Exception {
        Tenant a = fx.tenant();
        Tenant b = fx.tenant();
        Tenant stranger = fx.tenant();
        Device d = fx.device("127.0.0.2");
        fx.lease(a, d);
        String flip = "if grep -q 127.0.0.3 %f; then printf 127.0.0.4 > %f; else printf 127.0.0.3 > %f; fi";
        try (Agent ignored = fx.agent(gateway, d, AGENT, flip, null)) {
            JsonNode opA = json(rotate(gateway, a, d, "{\"wait\": true}"));
            assertThat(opA.get("new_ip").asText()).isEqualTo("127.0.0.3");
            accounts.endLease(accounts.leases(a.customer().id()).get(0).id());
            Thread.sleep(50);
            fx.lease(b, d);
            // The operator rotates for B (no interval rule for operators); the operation is B's.
            HttpResponse<String> admin = call(gateway, "POST", "/admin/v1/devices/" + d.id() + "/rotate", fx.operatorKey, null);
            assertThat(admin.statusCode()).as(admin.body()).isEqualTo(200);
            assertThat(json(admin).get("egress_ip").asText()).isEqualTo("127.0.0.4");
            String opB = json(admin).get("operation_id").asText();
            assertThat(operation(gateway, b, opB).get("trigger").asText()).isEqualTo("operator");

            String opAId = opA.get("operation_id").asText();
            for (String[] pair : new String[][] {{b.key(), opAId}, {a.key(), opB}, {stranger.key(), opAId}}) {
                HttpResponse<String> r = call(gateway, "GET", "/v1/operations/" + pair[1], pair[0], null);
                assertThat(r.statusCode()).isEqualTo(404);
                assertThat(r.body()).isEqualTo("{\"error\":\"operation not found\"}");
            }
            List<String> ipsA = ips(a, d);
            List<String> ipsB = ips(b, d);
            assertThat(ipsA).containsExactly("127.0.0.3", "127.0.0.2");
            assertThat(ipsB).containsExactly("127.0.0.4", "127.0.0.3");
            JsonNode bHistory = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", b.key(), null));
            // B's view of the address it inherited starts with B's lease, not when A got it.
            Instant bStart = accounts.leases(b.customer().id()).get(0).startsAt();
            assertThat(Instant.parse(bHistory.get(1).get("first_seen").asText())).isAfterOrEqualTo(bStart.minusMillis(1));
            // A's view ends with A's lease and shows no later change.
            JsonNode aHistory = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", a.key(), null));
            assertThat(aHistory.get(0).get("current").asBoolean()).isFalse();
            HttpResponse<String> none = call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", stranger.key(), null);
            assertThat(none.statusCode()).isEqualTo(404);
            assertThat(none.body()).isEqualTo("{\"error\":\"device not found\"}");
        }
    }

    static List<String> ips(Tenant t, Device d) throws Exception {
        HttpResponse<String> r = call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", t.key(), null);
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        json(r).forEach(n -> out.add(n.get("ip").asText()));
        return out;
    }

    @Test
    void anIpTheCarrierChangesOnItsOwnAppearsInTheHistory() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, TO_3, null)) {
            Files.writeString(d.bindFile(), "127.0.0.5");
            await(() -> ips(t, d).equals(List.of("127.0.0.5", "127.0.0.2")), Duration.ofSeconds(15), "the carrier's change in the history");
            JsonNode latest = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/ips", t.key(), null)).get(0);
            assertThat(latest.get("source").asText()).isEqualTo("observed");
            assertThat(latest.get("operation_id").isNull()).isTrue();
            assertThat(latest.get("current").asBoolean()).isTrue();
        }
    }

    @Test
    void aLiveBrowserSessionsEgressIpFollowsTheRotation() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        UUID leaseId = accounts.leases(t.customer().id()).get(0).id();
        // A session the way a browser host leaves it once ready (egress IP probed through the device).
        UUID session = UUID.randomUUID();
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, status, egress_ip, expires_at, ready_at, started_at)
                        VALUES (:id, :c, :d, :l, 'ready', '127.0.0.2', :exp, now(), now())""")
                .bind("id", session).bind("c", t.customer().id()).bind("d", d.id()).bind("l", leaseId)
                .bind("exp", Timestamp.from(Instant.now().plusSeconds(600))).execute());
        try (Agent ignored = fx.agent(gateway, d, AGENT, TO_3, null)) {
            JsonNode before = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/browser", t.key(), null));
            assertThat(before.get("egress_ip").asText()).isEqualTo("127.0.0.2");
            HttpResponse<String> r = rotate(gateway, t, d, "{\"wait\": true}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).get("status").asText()).isEqualTo("succeeded");
            JsonNode after = json(call(gateway, "GET", "/v1/devices/" + d.id() + "/browser", t.key(), null));
            assertThat(after.get("session_id").asText()).isEqualTo(session.toString());
            assertThat(after.get("egress_ip").asText()).isEqualTo("127.0.0.3");
            assertThat(ipThroughProxy(p)).isEqualTo("127.0.0.3");
        }
    }

    @Test
    void aScheduledRotationRunsWhenTheInjectedClockSaysItIsDue() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        String flip = "if grep -q 127.0.0.3 %f; then printf 127.0.0.4 > %f; else printf 127.0.0.3 > %f; fi";
        try (Agent ignored = fx.agent(replica, d, AGENT, flip, null)) {
            // Shorter than the minimum interval: refused.
            HttpResponse<String> tooShort = call(replica, "PUT", "/v1/devices/" + d.id() + "/rotation-schedule", t.key(), "{\"interval\": 10}");
            assertThat(tooShort.statusCode()).isEqualTo(400);
            HttpResponse<String> set = call(replica, "PUT", "/v1/devices/" + d.id() + "/rotation-schedule", t.key(), "{\"interval\": 600}");
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            Instant next = Instant.parse(json(set).get("next_rotation_at").asText());
            JsonNode got = json(call(replica, "GET", "/v1/devices/" + d.id() + "/rotation-schedule", t.key(), null));
            assertThat(got.get("interval").asInt()).isEqualTo(600);
            assertThat(Instant.parse(got.get("next_rotation_at").asText())).isEqualTo(next);
            assertThat(call(replica, "GET", "/v1/devices/" + d.id() + "/rotation-schedule", fx.tenant().key(), null).statusCode())
                    .isEqualTo(404);
            assertThat(Duration.between(replicaClock.instant(), next)).isBetween(Duration.ofSeconds(595), Duration.ofSeconds(600));

            replica.rotations().tick();
            assertThat(scheduledOps(d)).isEmpty();
            replicaClock.advance(Duration.ofSeconds(601));
            replica.rotations().tick();
            List<UUID> ops = scheduledOps(d);
            assertThat(ops).hasSize(1);
            JsonNode op = awaitFinished(replica, t, ops.get(0).toString(), Duration.ofSeconds(30));
            assertThat(op.get("status").asText()).isEqualTo("succeeded");
            assertThat(op.get("trigger").asText()).isEqualTo("schedule");
            assertThat(op.get("new_ip").asText()).isEqualTo("127.0.0.3");

            // Not due again until another interval passed since that rotation started.
            replica.rotations().tick();
            assertThat(scheduledOps(d)).hasSize(1);
            replicaClock.advance(Duration.ofSeconds(601));
            replica.rotations().tick();
            assertThat(scheduledOps(d)).hasSize(2);
            JsonNode second = awaitFinished(replica, t, scheduledOps(d).get(1).toString(), Duration.ofSeconds(30));
            assertThat(second.get("new_ip").asText()).isEqualTo("127.0.0.4");

            HttpResponse<String> off = call(replica, "PUT", "/v1/devices/" + d.id() + "/rotation-schedule", t.key(), "{\"interval\": null}");
            assertThat(json(off).get("interval").isNull()).isTrue();
            replicaClock.advance(Duration.ofSeconds(3600));
            replica.rotations().tick();
            assertThat(scheduledOps(d)).hasSize(2);
        }
    }

    static List<UUID> scheduledOps(Device d) {
        return db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT id FROM device_operations WHERE device_id = :d AND trigger = 'schedule' ORDER BY created_at""")
                .bind("d", d.id()).mapTo(UUID.class).list());
    }

    @Test
    void aReplicaWithoutTheTunnelQueuesTheRotationAndTheTunnelHolderRunsIt() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, TO_3, null)) {
            assertThat(replica.tunnels().online(d.id())).isFalse();
            HttpResponse<String> r = rotate(replica, t, d, "{\"wait\": true, \"timeout\": 60}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).get("status").asText()).isEqualTo("succeeded");
            assertThat(json(r).get("new_ip").asText()).isEqualTo("127.0.0.3");
        }
    }

    /** A SOCKS5 handshake with the proxy's credentials and a CONNECT to 127.0.0.1:port; answers REP. */
    static int socksConnect(Socket s, Accounts.Proxy p, int port) throws Exception {
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(new byte[] {5, 1, 2});
        assertThat(in.readNBytes(2)).containsExactly(5, 2);
        byte[] u = p.username().getBytes(StandardCharsets.UTF_8);
        byte[] pw = p.password().getBytes(StandardCharsets.UTF_8);
        byte[] auth = new byte[3 + u.length + pw.length];
        auth[0] = 1;
        auth[1] = (byte) u.length;
        System.arraycopy(u, 0, auth, 2, u.length);
        auth[2 + u.length] = (byte) pw.length;
        System.arraycopy(pw, 0, auth, 3 + u.length, pw.length);
        out.write(auth);
        assertThat(in.readNBytes(2)).containsExactly(1, 0);
        out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        byte[] head = in.readNBytes(4);
        int len = head[3] == 1 ? 4 : head[3] == 4 ? 16 : in.readUnsignedByte();
        in.readNBytes(len + 2);
        return head[1] & 0xff;
    }
}
