package com.aimlib.gateway.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code aimlib_browser_slots{region,state}} as a Prometheus scraper reads it from the gateway's {@code /metrics}:
 * free slots are the capacity of hosts that are up minus their live sessions, pending the sessions still
 * starting; a host that stopped heartbeating or is down offers none.
 */
class BrowserSlotsMetricTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().metricsPort(0).build(), db, box);
        accounts = new Accounts(db, box);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static UUID host(String name, String region, int capacity, String status, Instant heartbeat) {
        UUID id = UUID.randomUUID();
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO browser_hosts (id, name, region, address, capacity, status, last_heartbeat_at)
                        VALUES (:id, :name, :region, '10.0.0.1', :cap, :status, :hb)""")
                .bind("id", id).bind("name", name).bind("region", region).bind("cap", capacity).bind("status", status)
                .bind("hb", Timestamp.from(heartbeat)).execute());
        return id;
    }

    static void sessions(UUID hostId, String status, int n) {
        Accounts.Customer c = accounts.createCustomer("c-" + UUID.randomUUID(), 50);
        Accounts.Device d = accounts.createDevice("d-" + UUID.randomUUID(), "local", "local", 50, null);
        Accounts.Lease lease = accounts.createLease(c.id(), d.id(), null, "socks5");
        for (int i = 0; i < n; i++) {
            db.jdbi().useHandle(h -> h.createUpdate("""
                            INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, host_id, status)
                            VALUES (:id, :c, :d, :l, :h, :s)""")
                    .bind("id", UUID.randomUUID()).bind("c", c.id()).bind("d", d.id()).bind("l", lease.id())
                    .bind("h", hostId).bind("s", status).execute());
        }
    }

    static String scrape() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.metricsPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The sample of {@code aimlib_browser_slots} for the region and state, or null when the series is absent. */
    static Double slots(String text, String region, String state) {
        Matcher m = Pattern.compile("^aimlib_browser_slots(?:_sessions)?\\{([^}]*)} (\\S+)$", Pattern.MULTILINE).matcher(text);
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("region=\"" + region + "\"") && labels.contains("state=\"" + state + "\"")) {
                return Double.parseDouble(m.group(2));
            }
        }
        return null;
    }

    @Test
    void freeAndPendingSlotsPerRegionOnMetrics() throws Exception {
        Instant now = Instant.now();
        UUID west1 = host("w1-" + UUID.randomUUID(), "us-west", 8, "up", now);
        UUID west2 = host("w2-" + UUID.randomUUID(), "us-west", 4, "up", now);
        host("w3-" + UUID.randomUUID(), "us-west", 10, "up", now.minusSeconds(3600));
        UUID eu = host("e1-" + UUID.randomUUID(), "eu-central", 2, "up", now);
        host("e2-" + UUID.randomUUID(), "eu-central", 6, "down", now);
        sessions(west1, "active", 3);
        sessions(west1, "provisioning", 2);
        sessions(west1, "gone", 5); // ended sessions hold no slot
        sessions(west2, "requested", 1);
        // (no sessions on the stale host: the gateway's reaper fails those, racing the assertions)
        sessions(eu, "idle", 3); // more than its capacity (it shrank): no negative free slots

        gateway.browserSlots().refresh();
        String text = scrape();
        assertThat(text).contains("# TYPE aimlib_browser_slots");
        // us-west: (8 - 5) + (4 - 1) from the hosts that are up; the stale host's 10 do not count.
        assertThat(slots(text, "us-west", "free")).isEqualTo(6.0);
        assertThat(slots(text, "us-west", "pending")).isEqualTo(3.0);
        assertThat(slots(text, "us-west", "busy")).as("live sessions on every host of the region").isEqualTo(6.0);
        assertThat(slots(text, "eu-central", "free")).isEqualTo(0.0);
        assertThat(slots(text, "eu-central", "busy")).isEqualTo(3.0);
        assertThat(slots(text, "eu-central", "pending")).isEqualTo(0.0);

        // Sessions end and start: the gauge follows at the next refresh.
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE browser_sessions SET status = 'gone' WHERE host_id = :h AND status = 'active'")
                .bind("h", west1).execute());
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE browser_sessions SET status = 'ready' WHERE host_id = :h AND status = 'provisioning'")
                .bind("h", west1).execute());
        gateway.browserSlots().refresh();
        text = scrape();
        assertThat(slots(text, "us-west", "free")).isEqualTo(9.0);
        assertThat(slots(text, "us-west", "pending")).isEqualTo(1.0);
        assertThat(slots(text, "us-west", "busy")).isEqualTo(3.0);
    }

    @Test
    void theGatewayRefreshesTheGaugeByItself() throws Exception {
        host("solo-" + UUID.randomUUID(), "ap-south", 5, "up", Instant.now());
        Double free = null;
        for (long end = System.nanoTime() + 30_000_000_000L; System.nanoTime() < end && free == null; Thread.sleep(250)) {
            free = slots(scrape(), "ap-south", "free");
        }
        assertThat(free).as("refreshed without a call").isEqualTo(5.0);
    }

    /**
     * Closing the gauge's refresher while its query waits on the database lets the query finish: an interrupt there
     * would close the pooled connection's socket under it (the pool then logs a broken connection with a stack trace,
     * which a full suite run once saw in a standalone's output on a failed start).
     */
    @Test
    void closingWhileARefreshWaitsOnTheDatabaseLetsItFinish() throws Exception {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        host("slow", "slow-region", 3, "up", Instant.now());
        BrowserSlots slots;
        java.util.concurrent.CompletableFuture<Void> closed;
        try (org.jdbi.v3.core.Handle lock = db.jdbi().open()) {
            lock.begin();
            lock.execute("LOCK TABLE browser_hosts IN ACCESS EXCLUSIVE MODE");
            slots = BrowserSlots.start(db, meters, java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(30), java.time.Duration.ofHours(1));
            Thread.sleep(300); // its first refresh now waits for the lock
            closed = java.util.concurrent.CompletableFuture.runAsync(slots::close);
            Thread.sleep(300);
            assertThat(closed).as("close waits for the refresh in flight").isNotDone();
            lock.rollback();
        }
        closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(meters.find("aimlib.browser.slots").tags("region", "slow-region", "state", "free").gauge())
                .as("the refresh in flight finished and set the gauge").isNotNull()
                .extracting(io.micrometer.core.instrument.Gauge::value).isEqualTo(3.0);
    }
}
