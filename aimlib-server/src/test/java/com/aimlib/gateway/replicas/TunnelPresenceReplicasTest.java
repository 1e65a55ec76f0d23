package com.aimlib.gateway.replicas;

import static com.aimlib.gateway.rotation.RotationFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture;
import com.aimlib.gateway.rotation.RotationFixture.Device;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Device status with several gateway replicas on one embedded PostgreSQL: real agents dial real tunnel ports of
 * two (or three) gateways in this JVM, as a load balancer spreads an agent's connections over replicas. The
 * status is true while any live replica holds a connection.
 */
class TunnelPresenceReplicasTest {
    static final AgentSettings AGENT = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
    /** Heartbeat 200 ms, dead after 2 s: the expiry tests stay short. */
    static final Replicas.Settings FAST = new Replicas.Settings(Duration.ofMillis(200), Duration.ofSeconds(2));

    static Database db;
    static SecretBox box;
    static Gateway a;
    static Gateway b;
    static Accounts accounts;
    static RotationFixture fx;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        a = Gateway.start(GatewayConfig.builder().ephemeralPorts().replicas(FAST).build(), db, box);
        b = Gateway.start(GatewayConfig.builder().ephemeralPorts().replicas(FAST).build(), db, box);
        accounts = new Accounts(db, box);
        fx = new RotationFixture(db, accounts);
    }

    @AfterAll
    static void stop() throws Exception {
        fx.close();
        b.close();
        a.close();
        db.close();
    }

    String status(Device d) {
        return fx.column(d.id(), "status");
    }

    int presenceRows(UUID device) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM device_tunnel_presence WHERE device_id = :d")
                .bind("d", device).mapTo(Integer.class).one());
    }

    /** Asserts the device stays {@code want} for {@code during} (polling the row). */
    void staysFor(Device d, String want, Duration during) throws Exception {
        long end = System.nanoTime() + during.toNanos();
        while (System.nanoTime() < end) {
            assertThat(status(d)).as("device status").isEqualTo(want);
            Thread.sleep(50);
        }
    }

    @Test
    void aReplicaThatLosesItsLastConnectionLeavesTheDeviceOnlineWhileAnotherHoldsOne() throws Exception {
        Device d = fx.device("127.0.0.1");
        Agent onA = fx.agent(a, d, AGENT, null, null);
        Agent onB = fx.agent(b, d, AGENT, null, null);
        assertThat(a.tunnels().connections(d.id())).isEqualTo(2);
        assertThat(b.tunnels().connections(d.id())).isEqualTo(2);
        await(() -> presenceRows(d.id()) == 2, Duration.ofSeconds(10), "both replicas' presence rows");

        // Replica A loses every connection of the device: B still holds two, so the device stays online.
        onA.close();
        await(() -> a.tunnels().connections(d.id()) == 0, Duration.ofSeconds(10), "A to lose the device's connections");
        await(() -> presenceRows(d.id()) == 1, Duration.ofSeconds(10), "A's presence row to go");
        staysFor(d, "online", Duration.ofSeconds(1));
        assertThat(b.tunnels().online(d.id())).isTrue();

        // The last replica holding it loses it too: now the device is offline.
        onB.close();
        await(() -> "offline".equals(status(d)), Duration.ofSeconds(10), "the device offline once no replica holds it");
        assertThat(presenceRows(d.id())).isZero();
    }

    @Test
    void aReplicaWhoseHeartbeatStopsIsExpiredByTheOthersAndRejoinsWhenItBeatsAgain() throws Exception {
        // C beats only when the test says so: it stands for a replica that hung or was killed.
        Gateway c = Gateway.start(GatewayConfig.builder().ephemeralPorts()
                .replicas(new Replicas.Settings(Duration.ZERO, Duration.ofSeconds(2))).build(), db, box);
        try {
            Device d = fx.device("127.0.0.1");
            try (Agent ignored = fx.agent(c, d, AGENT, null, null)) {
                assertThat(presenceRows(d.id())).isEqualTo(1);
                // No heartbeat from C for longer than the expiry: A or B removes C and its claim, the device is offline.
                await(() -> "offline".equals(status(d)), Duration.ofSeconds(15), "the dead replica's device offline");
                assertThat(presenceRows(d.id())).isZero();
                int rows = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM gateway_replicas WHERE id = :id")
                        .bind("id", c.replicas().id()).mapTo(Integer.class).one());
                assertThat(rows).isZero();
                // C comes back: it registers again and re-announces the connections it still holds.
                c.replicas().beat();
                await(() -> "online".equals(status(d)), Duration.ofSeconds(10), "the device online again through C");
                assertThat(presenceRows(d.id())).isEqualTo(1);
            }
        } finally {
            c.close();
        }
    }

    @Test
    void aReplicaShuttingDownHandsTheStatusToTheOthersAtOnce() throws Exception {
        Gateway c = Gateway.start(GatewayConfig.builder().ephemeralPorts().replicas(FAST).build(), db, box);
        boolean closed = false;
        Device d = fx.device("127.0.0.1");
        Device alone = fx.device("127.0.0.1");
        try (Agent onA = fx.agent(a, d, AGENT, null, null); Agent onC = fx.agent(c, d, AGENT, null, null);
             Agent onlyC = fx.agent(c, alone, AGENT, null, null)) {
            await(() -> presenceRows(d.id()) == 2, Duration.ofSeconds(10), "both replicas' presence rows");
            c.close();
            closed = true;
            // The closing replica deregisters: what only it held is offline within moments, what A holds stays online.
            await(() -> "offline".equals(status(alone)), Duration.ofSeconds(5), "the device only C held offline");
            assertThat(status(d)).isEqualTo("online");
            assertThat(presenceRows(d.id())).isEqualTo(1);
        } finally {
            if (!closed) {
                c.close();
            }
        }
    }
}
