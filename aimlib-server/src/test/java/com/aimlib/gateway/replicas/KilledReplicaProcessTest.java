package com.aimlib.gateway.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.EmbeddedDatabase;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.Ports;
import com.aimlib.testing.TestDatabases;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A replica killed with SIGKILL: {@code aimlib gateway} as a real process on the test's PostgreSQL next to an
 * in-JVM replica. The process holds the only tunnel of a device (a real agent) and the reaper's advisory lock; once
 * it is killed, the surviving replica expires it (the device goes offline) and takes the reaper over.
 */
class KilledReplicaProcessTest {

    static void await(BooleanSupplier ok, Duration within, String what) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aKilledReplicasDevicesGoOfflineAndTheSurvivorTakesTheReaperOver() throws Exception {
        try (Database db = TestDatabases.fresh()) {
            String name = db.jdbi().withHandle(h -> h.createQuery("SELECT current_database()").mapTo(String.class).one());
            SecretBox box = new SecretBox(Secrets.randomBytes(32));
            Accounts accounts = new Accounts(db, box);
            UUID device = accounts.createDevice("d-" + UUID.randomUUID(), "local", null, 1, null).id();
            String token = new AgentStore(db).mintToken(device).orElseThrow().token();

            // The process first, so it is the elected reaper.
            EmbeddedDatabase pg = TestDatabases.server();
            int[] ports = Ports.free(4);
            Path data = Files.createTempDirectory("aimlib-killed-replica");
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "com.aimlib.Main", "gateway",
                    "--port", String.valueOf(ports[0]), "--socks-port", String.valueOf(ports[1]),
                    "--http-proxy-port", String.valueOf(ports[2]), "--tunnel-port", String.valueOf(ports[3]),
                    "--data-dir", data.toString(), "--operator-key", "ak_op_" + "k".repeat(40), "--no-migrate",
                    "--db-url", pg.jdbcUrl(name), "--db-user", pg.user(), "--db-password", pg.password()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().keySet().removeIf(k -> k.startsWith("AIMLIB_"));
            Process p = pb.start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                List<String> lines = new ArrayList<>();
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("aimlib gateway is up")) {
                    lines.add(line);
                }
                assertThat(line).as("start-up output %s", lines).startsWith("aimlib gateway is up");
                Thread.ofVirtual().start(() -> {
                    try {
                        out.transferTo(java.io.Writer.nullWriter());
                    } catch (java.io.IOException ignored) {
                        // the process died
                    }
                });
                await(() -> ReaperElectionReplicasTest.lockHolders(db).size() == 1, Duration.ofSeconds(15), "the process to lead the reaper");

                // The survivor: expires replicas silent for 4 s (the process beats every 2 s).
                try (Gateway survivor = Gateway.start(GatewayConfig.builder().ephemeralPorts()
                        .replicas(new Replicas.Settings(Duration.ofMillis(250), Duration.ofSeconds(4))).build(), db, box);
                     Agent agent = Agent.start("127.0.0.1", ports[3], false,
                             List.of(new DeviceConfig(device, token, "127.0.0.1", "TestCarrier", null, null, 2, null)),
                             AgentSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)).withEgress(RotationFixture.LOOPBACK), 1)) {
                    await(() -> "online".equals(status(db, device)), Duration.ofSeconds(30), "the device online through the process");
                    Thread.sleep(3000);
                    assertThat(survivor.reaperElection().leading()).as("the survivor does not lead while the process lives").isFalse();
                    assertThat(status(db, device)).as("a live replica's device stays online").isEqualTo("online");

                    p.destroyForcibly(); // SIGKILL: no deregistration, no unlock
                    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                    long killed = System.nanoTime();

                    await(() -> survivor.reaperElection().leading(), Duration.ofSeconds(15), "the survivor to take the reaper over");
                    UUID host = ReaperElectionReplicasTest.staleHost(db);
                    await(() -> "down".equals(ReaperElectionReplicasTest.hostStatus(db, host)), Duration.ofSeconds(10),
                            "the survivor's reaper to mark a stale host down");
                    await(() -> "offline".equals(status(db, device)), Duration.ofSeconds(20), "the killed replica's device offline");
                    assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("within expiry + heartbeat + slack")
                            .isLessThan(Duration.ofSeconds(20));
                    int replicas = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM gateway_replicas").mapTo(Integer.class).one());
                    assertThat(replicas).as("only the survivor is registered").isEqualTo(1);
                }
            } finally {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static String status(Database db, UUID device) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM devices WHERE id = :id").bind("id", device)
                .mapTo(String.class).one());
    }
}
