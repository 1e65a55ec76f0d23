package com.aimlib.gateway.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One elected reaper among three gateway replicas on one embedded PostgreSQL (default reaper interval, 1 s): only
 * the replica holding the advisory lock runs the periodic reaper moves; when it shuts down, or its database
 * session dies as with a killed process, another takes over and the moves go on (a browser host that stopped
 * heart-beating is marked down).
 */
class ReaperElectionReplicasTest {
    static Database db;
    static SecretBox box;
    static final List<Gateway> replicas = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        for (int i = 0; i < 3; i++) {
            replicas.add(Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box));
        }
    }

    @AfterAll
    static void stop() {
        replicas.forEach(Gateway::close);
        db.close();
    }

    static void await(BooleanSupplier ok, Duration within, String what) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(25);
        }
    }

    /** The backends holding the reaper's advisory lock. */
    static List<Integer> lockHolders() {
        return lockHolders(db);
    }

    static List<Integer> lockHolders(Database db) {
        long key = ReaperElection.LOCK_KEY;
        return db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                          AND classid = :hi AND objid = :lo AND objsubid = 1""")
                .bind("hi", (key >>> 32)).bind("lo", key & 0xffffffffL).mapTo(Integer.class).list());
    }

    static List<Gateway> leaders(List<Gateway> among) {
        return among.stream().filter(g -> g.reaperElection().leading()).toList();
    }

    /** A browser host row that stopped heart-beating an hour ago: the reaper marks it down. */
    static UUID staleHost() {
        return staleHost(db);
    }

    static UUID staleHost(Database db) {
        UUID id = UUID.randomUUID();
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO browser_hosts (id, name, region, address, capacity, status, last_heartbeat_at)
                        VALUES (:id, :name, 'local', '127.0.0.1', 1, 'up', now() - interval '1 hour')""")
                .bind("id", id).bind("name", "stale-" + id).execute());
        return id;
    }

    static String hostStatus(UUID id) {
        return hostStatus(db, id);
    }

    static String hostStatus(Database db, UUID id) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM browser_hosts WHERE id = :id").bind("id", id)
                .mapTo(String.class).one());
    }

    @Test
    void oneReplicaReapsAndAnotherTakesOverWhenItStopsOrItsSessionDies() throws Exception {
        List<Gateway> alive = new ArrayList<>(replicas);
        await(() -> leaders(alive).size() == 1 && lockHolders().size() == 1, Duration.ofSeconds(10), "one elected reaper");
        Gateway leader = leaders(alive).get(0);

        // Over 3 s only the leader runs passes; the others keep asking and stay out.
        Map<Gateway, Long> before = new java.util.HashMap<>();
        alive.forEach(g -> before.put(g, g.reaper().passes()));
        UUID host = staleHost();
        await(() -> "down".equals(hostStatus(host)), Duration.ofSeconds(10), "the leader to mark the stale host down");
        Thread.sleep(3000);
        for (Gateway g : alive) {
            long ran = g.reaper().passes() - before.get(g);
            if (g == leader) {
                assertThat(ran).as("passes of the leader").isGreaterThanOrEqualTo(2);
            } else {
                assertThat(ran).as("passes of a replica that is not the leader").isZero();
                assertThat(g.reaperElection().leading()).isFalse();
            }
        }
        assertThat(lockHolders()).hasSize(1);

        // The leader shuts down: another replica takes over and reaps.
        leader.close();
        alive.remove(leader);
        replicas.remove(leader);
        await(() -> leaders(alive).size() == 1, Duration.ofSeconds(10), "a new elected reaper");
        Gateway second = leaders(alive).get(0);
        UUID host2 = staleHost();
        await(() -> "down".equals(hostStatus(host2)), Duration.ofSeconds(10), "the new leader to mark the stale host down");

        // The new leader's database session dies (as when its process is killed): the lock goes with it, a leader
        // is elected again (either survivor) and the moves go on; never two holders.
        int pid = lockHolders().get(0);
        db.jdbi().useHandle(h -> h.createQuery("SELECT pg_terminate_backend(:pid)").bind("pid", pid).mapTo(Boolean.class).one());
        await(() -> lockHolders().size() == 1 && lockHolders().get(0) != pid, Duration.ofSeconds(10), "a leader on a new session");
        UUID host3 = staleHost();
        await(() -> "down".equals(hostStatus(host3)), Duration.ofSeconds(10), "the re-elected reaper to mark the stale host down");
        assertThat(lockHolders()).hasSize(1);
        assertThat(second.reaper().passes()).isPositive();
    }
}
