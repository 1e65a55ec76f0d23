package com.aimlib.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.Main;
import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.api.ApiClient;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Device health end to end on loopback: a real gateway (health rounds every 300 ms, unhealthy after 2 s without
 * egress), a real agent whose health command is a shell script and whose what-is-my-IP page can be switched off.
 * The values reach the operator API, the admin CLI and the customer's device object; losing egress marks the device
 * unhealthy in all three and in {@code /metrics}, and getting it back clears the mark.
 */
class DeviceHealthTest {
    static final EgressPolicy LOOPBACK = EgressPolicy.parse("127.0.0.0/8,::1");
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static AgentStore agentStore;
    static ApiClient api;
    static String op;
    static HttpServer whatIsMyIp;
    static final AtomicBoolean egressUp = new AtomicBoolean(true);
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts()
                .deviceHealth(new DeviceHealthMonitor.Settings(Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofSeconds(5)))
                .build(), db, box);
        accounts = new Accounts(db, box);
        agentStore = new AgentStore(db);
        api = new ApiClient(gateway);
        op = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
        whatIsMyIp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        whatIsMyIp.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        whatIsMyIp.createContext("/", ex -> {
            byte[] body = ex.getRemoteAddress().getAddress().getHostAddress().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(egressUp.get() ? 200 : 503, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        whatIsMyIp.start();
        dir = Files.createTempDirectory("health-test");
    }

    @AfterAll
    static void stop() {
        whatIsMyIp.stop(0);
        gateway.close();
        db.close();
    }

    static Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    static AgentSettings settings() {
        AgentSettings d = AgentSettings.defaults();
        // Probe timeout 2 s: the what-is-my-IP probe and the health command are both held to it.
        return new AgentSettings(d.tunnel(), Duration.ofMillis(50), Duration.ofMillis(500), d.connectTimeout(), Duration.ofSeconds(2),
                d.drainTimeout(), d.rotateTimeout(), d.commandTimeout(), LOOPBACK, d.probeMaxAge());
    }

    record Leased(UUID device, String key, Agent agent) {
    }

    static Leased leasedDeviceWithAgent(String healthCommand) throws Exception {
        UUID device = accounts.createDevice("h-" + UUID.randomUUID(), "local", "TestCarrier", 1, null).id();
        var customer = accounts.createCustomer("health-" + UUID.randomUUID(), 1);
        accounts.createLease(customer.id(), device, null, "socks5");
        String key = accounts.mintKey(customer.id(), "k", Set.of("proxies.read"), null).plaintext();
        String url = "http://127.0.0.1:" + whatIsMyIp.getAddress().getPort() + "/";
        Agent agent = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(device, agentStore.mintToken(device).orElseThrow().token(), "127.0.0.1", "TestCarrier",
                        null, url, 1, null, healthCommand)), settings(), 1);
        return new Leased(device, key, agent);
    }

    static JsonNode adminDevice(UUID id) throws Exception {
        var r = api.get("/admin/v1/devices/" + id, op);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ApiClient.json(r);
    }

    static JsonNode customerDevice(String key, UUID id) throws Exception {
        var r = api.get("/v1/devices", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode d : ApiClient.json(r)) {
            if (d.get("device_id").asText().equals(id.toString())) {
                return d;
            }
        }
        return null;
    }

    static JsonNode await(UUID id, Predicate<JsonNode> health, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonNode h = adminDevice(id).get("health");
        while (!health.test(h) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            h = adminDevice(id).get("health");
        }
        assertThat(health.test(h)).as("health now: %s", h).isTrue();
        return h;
    }

    static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 3];
        all[0] = "admin";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--url=" + gateway.baseUrl();
        all[args.length + 2] = "--key=" + op;
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(all);
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }

    static String metrics() throws Exception {
        var r = api.get("/metrics", op);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    static double metric(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void probeValuesReachTheOperatorTheCliAndTheCustomer() throws Exception {
        Path probe = script("probe.sh", "echo '{\"signal_dbm\": -87, \"network_type\": \"5G\", \"battery_pct\": 64, \"temperature_c\": 36.6, \"extra\": 1}'");
        Leased l = leasedDeviceWithAgent(probe.toString());
        try (Agent ignored = l.agent()) {
            JsonNode h = await(l.device(), x -> "5G".equals(x.path("network_type").asText(null)) && x.hasNonNull("rtt_ms"), 30);
            assertThat(h.get("status").asText()).isEqualTo("healthy");
            assertThat(h.get("signal_dbm").asInt()).isEqualTo(-87);
            assertThat(h.get("battery_pct").asInt()).isEqualTo(64);
            assertThat(h.get("temperature_c").asDouble()).isEqualTo(36.6);
            assertThat(h.get("rtt_ms").asDouble()).isGreaterThanOrEqualTo(0).isLessThan(5_000);
            assertThat(h.get("probe_error").isNull()).isTrue();
            assertThat(h.get("last_egress_at").isNull()).isFalse();
            assertThat(h.get("unhealthy_since").isNull()).isTrue();
            assertThat(h.get("last_rotation_at").isNull()).as("only the first sighting of its IP so far").isTrue();
            // The IP changes (as a rotation or the carrier would change it): last_rotation_at follows the history.
            agentStore.report(l.device(), null, "127.0.0.9");
            JsonNode rotated = adminDevice(l.device()).get("health");
            assertThat(rotated.get("last_rotation_at").isNull()).isFalse();

            String table = cli("devices", "get", l.device().toString());
            assertThat(table.lines().findFirst().orElseThrow()).contains("HEALTH STATUS", "HEALTH NETWORK TYPE", "HEALTH RTT MS",
                    "HEALTH SIGNAL DBM", "HEALTH BATTERY PCT", "HEALTH TEMPERATURE C", "HEALTH LAST ROTATION AT");
            assertThat(table).contains("healthy", "5G", "-87", "64", "36.6");
            assertThat(cli("devices", "list")).contains(l.device().toString()).contains("5G");
            JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cli("devices", "get", l.device().toString(), "--json"));
            assertThat(json.at("/health/network_type").asText()).isEqualTo("5G");

            JsonNode customer = customerDevice(l.key(), l.device());
            JsonNode ch = customer.get("health");
            assertThat(ch.get("status").asText()).isEqualTo("healthy");
            assertThat(ch.get("network_type").asText()).isEqualTo("5G");
            assertThat(ch.get("signal_dbm").asInt()).isEqualTo(-87);
            assertThat(ch.get("battery_pct").asInt()).isEqualTo(64);
            assertThat(ch.get("temperature_c").asDouble()).isEqualTo(36.6);
            assertThat(ch.hasNonNull("rtt_ms")).isTrue();
            assertThat(ch.get("last_rotation_at").asText()).isEqualTo(rotated.get("last_rotation_at").asText());
            assertThat(ch.has("probe_error")).as("compact: operator details stay in /admin/v1").isFalse();
            // The documented fields are all still there, health comes last.
            List<String> fields = new java.util.ArrayList<>();
            customer.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactly("device_id", "region", "carrier", "lease", "current_egress_ip", "proxy", "browser", "health");

            Leased other = leasedDeviceWithAgent(null);
            try (Agent ignored2 = other.agent()) {
                assertThat(customerDevice(other.key(), l.device())).as("another customer never sees this device's health").isNull();
                JsonNode otherHealth = await(other.device(), x -> "healthy".equals(x.path("status").asText()), 30);
                assertThat(otherHealth.get("network_type").isNull()).as("no health command: no platform values").isTrue();
            }
        }
    }

    @Test
    void aHangingOrBrokenHealthCommandIsReportedNotWaitedFor() throws Exception {
        Path hang = script("hang.sh", "sleep 60");
        Leased l = leasedDeviceWithAgent(hang.toString());
        try (Agent ignored = l.agent()) {
            JsonNode h = await(l.device(), x -> x.path("probe_error").asText("").contains("timed out"), 30);
            assertThat(h.get("status").asText()).as("egress still works").isEqualTo("healthy");
            assertThat(h.get("network_type").isNull()).isTrue();
        }
        Path junk = script("junk.sh", "echo '{\"signal_dbm\": 12, \"network_type\": \"LTE\", \"battery_pct\": \"full\"}'");
        Leased j = leasedDeviceWithAgent(junk.toString());
        try (Agent ignored = j.agent()) {
            JsonNode h = await(j.device(), x -> "LTE".equals(x.path("network_type").asText(null)), 30);
            assertThat(h.get("signal_dbm").isNull()).as("out of range").isTrue();
            assertThat(h.get("battery_pct").isNull()).isTrue();
            assertThat(h.get("probe_error").asText()).contains("signal_dbm").contains("battery_pct");
        }
    }

    @Test
    void aDeviceThatLosesEgressIsMarkedUnhealthyAndAlertedInMetrics() throws Exception {
        Path probe = script("probe-lte.sh", "echo '{\"network_type\": \"LTE\"}'");
        Leased l = leasedDeviceWithAgent(probe.toString());
        try (Agent ignored = l.agent()) {
            await(l.device(), x -> "healthy".equals(x.path("status").asText()) && "LTE".equals(x.path("network_type").asText(null)), 30);
            double markedBefore = metric(metrics(), "aimlib_device_unhealthy_total");
            egressUp.set(false);
            try {
                JsonNode h = await(l.device(), x -> "unhealthy".equals(x.path("status").asText()), 30);
                assertThat(h.get("unhealthy_since").isNull()).isFalse();
                String m = metrics();
                assertThat(metric(m, "aimlib_devices_unhealthy")).isGreaterThanOrEqualTo(1);
                assertThat(metric(m, "aimlib_device_unhealthy_total")).isGreaterThan(markedBefore);
                Thread.sleep(1_100); // the customer's device list is cached for 1 s
                assertThat(customerDevice(l.key(), l.device()).at("/health/status").asText()).isEqualTo("unhealthy");
                assertThat(cli("devices", "get", l.device().toString())).contains("unhealthy");
            } finally {
                egressUp.set(true);
            }
            JsonNode back = await(l.device(), x -> "healthy".equals(x.path("status").asText()), 30);
            assertThat(back.get("unhealthy_since").isNull()).isTrue();
        }
        // The agent gone altogether: no egress either, whichever replica notices.
        JsonNode gone = await(l.device(), x -> "unhealthy".equals(x.path("status").asText()), 30);
        assertThat(gone.get("unhealthy_since").isNull()).isFalse();
    }
}
