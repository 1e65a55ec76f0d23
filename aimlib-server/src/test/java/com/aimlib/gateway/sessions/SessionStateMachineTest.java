package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

class SessionStateMachineTest {

    @Test
    void aMoveThatWaitedForAConcurrentTransitionStillMovesTheRow() throws Exception {
        try (Database db = TestDatabases.fresh()) {
            Accounts accounts = new Accounts(db, new SecretBox(Secrets.randomBytes(32)));
            var customer = accounts.createCustomer("c", 1);
            var device = accounts.createDevice("d", "local", null, 1, null);
            var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
            UUID id = UUID.randomUUID();
            db.jdbi().useHandle(h -> h.createUpdate("""
                            INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, status, expires_at, last_activity_at)
                            VALUES (:id, :customer, :device, :lease, 'active', now() - interval '1 second', now())""")
                    .bind("id", id).bind("customer", customer.id()).bind("device", device.id()).bind("lease", lease.id()).execute());

            // Another transaction (the relay noticing a disconnect) moves the row active -> idle and holds it.
            try (Handle holder = db.jdbi().open()) {
                holder.begin();
                assertThat(SessionStateMachine.move(holder, id, EnumSet.of(SessionState.ACTIVE), SessionState.IDLE)).isTrue();
                // The reaper's move of every live session past its TTL starts meanwhile and waits for the row lock.
                CompletableFuture<List<SessionStateMachine.Moved>> reaping = CompletableFuture.supplyAsync(() -> db.jdbi().inTransaction(h ->
                        SessionStateMachine.moveWhere(h, SessionState.LIVE, SessionState.EXPIRING, "s.id = :id AND s.expires_at <= now()", null, Map.of("id", id))));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                        .mapTo(Integer.class).one()) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                holder.commit();

                List<SessionStateMachine.Moved> moved = reaping.get(10, TimeUnit.SECONDS);
                assertThat(moved).extracting(SessionStateMachine.Moved::id).containsExactly(id);
                assertThat(moved.getFirst().from()).isEqualTo(SessionState.IDLE);
            }
            String status = db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM browser_sessions WHERE id = :id").bind("id", id)
                    .mapTo(String.class).one());
            assertThat(status).isEqualTo("expiring");
        }
    }
}
