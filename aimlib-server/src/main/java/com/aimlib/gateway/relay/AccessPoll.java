package com.aimlib.gateway.relay;

import java.time.Clock;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net for relay and live-view connections when a lease ends or a customer is suspended through another
 * replica (this one hears of its own admin calls at once): every {@link #PERIOD_MS} the leases with an open
 * connection here are checked against the database, and the connections of any no longer usable are closed. One
 * query per period, and none while nothing is open.
 */
public final class AccessPoll implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessPoll.class);
    static final long PERIOD_MS = 250;

    private final Thread thread;
    /** Stops the poll between two rounds, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer pacer = new com.aimlib.Pacer();

    private AccessPoll(Jdbi jdbi, Clock clock, Supplier<Set<UUID>> open, Consumer<UUID> close) {
        this.thread = Thread.ofVirtual().name("relay-access-poll").start(() -> {
            while (pacer.pause(java.time.Duration.ofMillis(PERIOD_MS))) {
                try {
                    Set<UUID> leases = open.get();
                    if (!leases.isEmpty()) {
                        Set<UUID> usable = usable(jdbi, leases, clock);
                        for (UUID l : leases) {
                            if (!usable.contains(l)) {
                                close.accept(l);
                            }
                        }
                    }
                } catch (RuntimeException e) {
                    log.warn("relay access poll failed error={}", e.toString());
                }
            }
        });
    }

    /** Starts polling: {@code open} lists the leases with open connections, {@code close} ends one lease's. */
    public static AccessPoll start(Jdbi jdbi, Clock clock, Supplier<Set<UUID>> open, Consumer<UUID> close) {
        return new AccessPoll(jdbi, clock, open, close);
    }

    /** Of {@code leases}, those still active, unexpired and of an active customer (with or without a proxy). */
    static Set<UUID> usable(Jdbi jdbi, Collection<UUID> leases, Clock clock) {
        return new HashSet<>(jdbi.withHandle(h -> h.createQuery("""
                        SELECT l.id FROM leases l JOIN customers c ON c.id = l.customer_id
                        WHERE l.id = ANY(:ids) AND l.status = 'active' AND c.status = 'active'
                          AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("ids", leases.toArray(UUID[]::new)).bind("now", clock.instant())
                .mapTo(UUID.class).list()));
    }

    @Override
    public void close() {
        pacer.stop(thread, java.time.Duration.ofSeconds(5));
    }
}
