package com.aimlib.gateway.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Relay clients of one browser session spread over two gateway replicas on one database: a real Chromium on the
 * in-process host, real CDP WebSocket clients through each replica's relay. The session's relay count is the sum
 * over replicas, so the first client leaving does not make the session idle while the other is still attached.
 */
class RelayPresenceReplicasTest {
    static BrowserFixture fx;
    static Gateway replica;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(5);
        replica = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(fx.clock).build(), fx.db, fx.box,
                BrowserSettings.defaults().manualReaper());
    }

    @AfterAll
    static void stop() {
        replica.close();
        fx.close();
    }

    static CdpClient client(Gateway g, BrowserFixture.Live s) throws Exception {
        CdpClient c = CdpClient.open("ws://127.0.0.1:" + g.httpPort() + "/cdp/" + s.id(), s.token());
        // A command answered through the relay: the client is attached end to end.
        assertThat(c.call("{\"id\":1,\"method\":\"Browser.getVersion\"}")).contains("\"result\"");
        return c;
    }

    int relayClients(UUID session) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT relay_clients FROM browser_sessions WHERE id = :id")
                .bind("id", session).mapTo(Integer.class).one());
    }

    static void await(java.util.function.BooleanSupplier ok, Duration within, String what) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(25);
        }
    }

    @Test
    void twoClientsOnTwoReplicasTheFirstDisconnectKeepsTheSessionActive() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        try {
            CdpClient onGateway = client(fx.gateway, s);
            CdpClient onReplica = client(replica, s);
            await(() -> relayClients(s.id()) == 2 && "active".equals(fx.statusOf(s.id())), Duration.ofSeconds(10),
                    "two relay clients counted over both replicas");

            onGateway.close();
            await(() -> relayClients(s.id()) == 1, Duration.ofSeconds(10), "the count to drop to 1");
            long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < end) {
                assertThat(fx.statusOf(s.id())).as("session with a client left on the replica").isEqualTo("active");
                Thread.sleep(50);
            }
            // The client still on the other replica keeps working.
            assertThat(onReplica.call("{\"id\":2,\"method\":\"Browser.getVersion\"}")).contains("\"result\"");

            onReplica.close();
            await(() -> relayClients(s.id()) == 0 && "idle".equals(fx.statusOf(s.id())), Duration.ofSeconds(10),
                    "the session idle once no replica relays a client");
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void theClientsOfAReplicaWhoseHeartbeatStopsAreNoLongerCounted() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        // A replica that never beats on its own (as if hung), with a short expiry the survivors' sweep uses too.
        Gateway hung = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(fx.clock)
                .replicas(new Replicas.Settings(Duration.ZERO, Duration.ofSeconds(2))).build(), fx.db, fx.box,
                BrowserSettings.defaults().manualReaper());
        try (CdpClient c = client(hung, s)) {
            await(() -> relayClients(s.id()) == 1 && "active".equals(fx.statusOf(s.id())), Duration.ofSeconds(10), "one client counted");
            // The fixture's gateway beats every 2 s and expires replicas silent for 10 s: then the count is 0, the session idle.
            await(() -> relayClients(s.id()) == 0 && "idle".equals(fx.statusOf(s.id())), Duration.ofSeconds(30),
                    "the hung replica's client no longer counted");
            // It beats again: it re-registers and counts its client again.
            hung.replicas().beat();
            await(() -> relayClients(s.id()) == 1 && "active".equals(fx.statusOf(s.id())), Duration.ofSeconds(10), "the client counted again");
        } finally {
            hung.close();
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }
}
