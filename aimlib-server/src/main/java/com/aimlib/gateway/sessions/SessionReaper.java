package com.aimlib.gateway.sessions;

import static com.aimlib.gateway.sessions.SessionState.*;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves sessions on time: at {@code expires_at}, after {@code idle_timeout} without relay traffic, at
 * lease end, when their host stops heart-beating, when a boot or a teardown takes too long. Also
 * pre-binds leases that have no session yet. Runs on a virtual thread; {@link #reap} may be called by hand.
 */
public final class SessionReaper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionReaper.class);

    private final BrowserSessions sessions;
    private final ScheduledExecutorService timer;
    /** Whether this replica runs the periodic moves now (issue 12: one elected reaper among replicas). */
    private final java.util.function.BooleanSupplier elected;
    private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();

    public SessionReaper(BrowserSessions sessions) {
        this(sessions, () -> true);
    }

    /**
     * A reaper whose periodic passes run only while {@code elected} says this replica is the elected one; activity
     * flushes (this replica's own relay traffic) run on every replica. {@link #reap} by hand always runs.
     */
    public SessionReaper(BrowserSessions sessions, java.util.function.BooleanSupplier elected) {
        this.sessions = sessions;
        this.elected = elected;
        BrowserSettings s = sessions.settings();
        if (s.reapInterval().isZero()) {
            timer = null;
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("session-reaper").factory());
        timer.scheduleWithFixedDelay(this::safeReap, s.reapInterval().toMillis(), s.reapInterval().toMillis(), TimeUnit.MILLISECONDS);
        if (!s.activityFlushInterval().isZero()) {
            long f = s.activityFlushInterval().toMillis();
            timer.scheduleWithFixedDelay(this::safeFlush, f, f, TimeUnit.MILLISECONDS);
        }
    }

    /** How many periodic passes this replica ran (as the elected reaper). */
    public long passes() {
        return passes.get();
    }

    private void safeReap() {
        try {
            if (!elected.getAsBoolean()) {
                return;
            }
            passes.incrementAndGet();
            reap();
        } catch (RuntimeException e) {
            log.warn("reaper pass failed cause={}", e.toString());
        }
    }

    private void safeFlush() {
        try {
            sessions.flushActivity();
        } catch (RuntimeException e) {
            log.warn("activity flush failed cause={}", e.toString());
        }
    }

    /** One pass; returns the sessions it moved to expiring or failed. */
    public List<UUID> reap() {
        sessions.flushActivity();
        Instant now = sessions.clock().instant();
        BrowserSettings s = sessions.settings();
        Timestamp t = Timestamp.from(now);
        List<SessionStateMachine.Moved> expiring = new ArrayList<>();
        List<SessionStateMachine.Moved> failed = new ArrayList<>();
        sessions.jdbi().useTransaction(h -> {
            // Hosts that stopped heart-beating: down, and their sessions failed.
            List<UUID> dead = h.createQuery("UPDATE browser_hosts SET status = 'down' WHERE status = 'up' AND last_heartbeat_at < :stale RETURNING id")
                    .bind("stale", Timestamp.from(now.minus(s.heartbeatTimeout()))).mapTo(UUID.class).list();
            if (!dead.isEmpty()) {
                failed.addAll(SessionStateMachine.moveWhere(h, LIVE, FAILED, "s.host_id = ANY(:hosts)",
                        "failure_reason = 'host stopped heart-beating'", Map.of("hosts", dead.toArray(UUID[]::new))));
                SessionStateMachine.moveWhere(h, EnumSet.of(EXPIRING), GONE, "s.host_id = ANY(:hosts)", null, Map.of("hosts", dead.toArray(UUID[]::new)));
            }
            // TTL.
            expiring.addAll(SessionStateMachine.moveWhere(h, LIVE, EXPIRING, "s.expires_at IS NOT NULL AND s.expires_at <= :now", EndReason.TTL_EXPIRED.set(), Map.of("now", t)));
            // Lease end (ended, past its end, or its customer suspended).
            expiring.addAll(SessionStateMachine.moveWhere(h, LIVE, EXPIRING, """
                    EXISTS (SELECT 1 FROM leases l JOIN customers c ON c.id = l.customer_id WHERE l.id = s.lease_id
                            AND (l.status <> 'active' OR (l.ends_at IS NOT NULL AND l.ends_at <= :now) OR c.status <> 'active'))""",
                    EndReason.LEASE_ENDED.set(), Map.of("now", t)));
            // Idle: a booted session without relay traffic for idle_timeout.
            expiring.addAll(SessionStateMachine.moveWhere(h, EnumSet.of(READY, ACTIVE, IDLE), EXPIRING,
                    "s.host_id IS NOT NULL AND s.last_activity_at + make_interval(secs => s.idle_timeout_s) <= :now", EndReason.IDLE_TIMEOUT.set(),
                    Map.of("now", t)));
            // A boot that never finished.
            failed.addAll(SessionStateMachine.moveWhere(h, EnumSet.of(REQUESTED, PROVISIONING), FAILED,
                    "s.boot_started_at IS NOT NULL AND s.boot_started_at <= :limit", "failure_reason = 'boot timed out'",
                    Map.of("limit", Timestamp.from(now.minus(s.bootTimeout())))));
            // A teardown that never got confirmed.
            SessionStateMachine.moveWhere(h, EnumSet.of(EXPIRING), GONE, "s.version >= 0 AND COALESCE(s.ended_at, s.expires_at, s.last_activity_at) <= :limit",
                    null, Map.of("limit", Timestamp.from(now.minus(s.expiringTimeout()))));
        });
        for (SessionStateMachine.Moved m : expiring) {
            sessions.teardown(m.id(), m.hostId());
        }
        for (SessionStateMachine.Moved m : failed) {
            var link = sessions.host(m.hostId());
            if (link != null) {
                link.stop(m.id());
            }
        }
        sessions.sweepPrebound();
        List<UUID> out = new ArrayList<>();
        expiring.forEach(m -> out.add(m.id()));
        failed.forEach(m -> out.add(m.id()));
        if (!out.isEmpty()) {
            log.info("reaper moved sessions expiring={} failed={}", expiring.size(), failed.size());
        }
        return out;
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        // A pass in flight finishes first: interrupting it mid-query breaks its pooled connection, and the
        // pool logs that as a warning with a stack trace. Shutdown alone cancels the next passes.
        timer.shutdown();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
