package com.aimlib.gateway.rotation;

import com.aimlib.protocol.OperationBody;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code device_operations} rows: the only writer of an operation's status. Moves are
 * {@code queued → running} (a claim: exactly one replica wins) and {@code running → succeeded | failed |
 * timeout}, or {@code queued → failed} when nobody could run it; each is one conditional UPDATE, so a move from
 * a state the row has left does nothing. Timestamps come from the gateway's clock. Blocking (JDBC).
 */
final class Operations {
    static final String COLUMNS = "id, kind, device_id, status, trigger, old_ip, new_ip, reason, created_at, started_at, finished_at";

    private final Jdbi jdbi;

    Operations(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** A queued operation as the poller sees it. */
    record Queued(UUID id, UUID deviceId) {
    }

    static OperationBody map(ResultSet rs) throws SQLException {
        return new OperationBody(rs.getObject("id", UUID.class), rs.getString("kind"), rs.getObject("device_id", UUID.class),
                rs.getString("status"), rs.getString("trigger"), rs.getString("old_ip"), rs.getString("new_ip"),
                rs.getString("reason"), instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "finished_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    /** The operation, if it belongs to {@code customerId} (any owner when that is null). */
    Optional<OperationBody> get(UUID id, UUID customerId) {
        return jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT " + COLUMNS + " FROM device_operations WHERE id = :id"
                    + (customerId == null ? "" : " AND customer_id = :c")).bind("id", id);
            if (customerId != null) {
                q.bind("c", customerId);
            }
            return q.map((rs, ctx) -> map(rs)).findOne();
        });
    }

    /** The device's open (queued or running) operation, under the caller's transaction. */
    static Optional<UUID> open(Handle h, UUID deviceId) {
        return h.createQuery("SELECT id FROM device_operations WHERE device_id = :d AND status IN ('queued', 'running')")
                .bind("d", deviceId).mapTo(UUID.class).findOne();
    }

    /** When the device's last rotation started, if one ever did. */
    static Optional<Instant> lastStart(Handle h, UUID deviceId) {
        return h.createQuery("SELECT max(started_at) FROM device_operations WHERE device_id = :d")
                .bind("d", deviceId).mapTo(Timestamp.class).findOne().map(Timestamp::toInstant);
    }

    static OperationBody insert(Handle h, UUID deviceId, UUID customerId, UUID leaseId, String trigger, Instant now) {
        return h.createQuery("""
                        INSERT INTO device_operations (id, device_id, customer_id, lease_id, trigger, status, created_at)
                        VALUES (:id, :d, CAST(:c AS uuid), CAST(:l AS uuid), :trigger, 'queued', :now) RETURNING """ + " " + COLUMNS)
                .bind("id", UUID.randomUUID()).bind("d", deviceId).bind("c", customerId).bind("l", leaseId)
                .bind("trigger", trigger).bind("now", Timestamp.from(now))
                .map((rs, ctx) -> map(rs)).one();
    }

    /** queued → running for this replica; false when another replica (or a sweep) moved it first. */
    boolean claim(UUID id, String replica, Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE device_operations o SET status = 'running', started_at = :now, claimed_by = :replica,
                               old_ip = (SELECT current_egress_ip FROM devices d WHERE d.id = o.device_id)
                        WHERE id = :id AND status = 'queued'""")
                .bind("id", id).bind("replica", replica).bind("now", Timestamp.from(now)).execute()) == 1;
    }

    /** running → its outcome. */
    void finish(UUID id, String status, String oldIp, String newIp, String reason, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("""
                        UPDATE device_operations SET status = :status, old_ip = COALESCE(:old, old_ip), new_ip = :new,
                               reason = :reason, finished_at = :now
                        WHERE id = :id AND status = 'running'""")
                .bind("id", id).bind("status", status).bind("old", oldIp).bind("new", newIp).bind("reason", reason)
                .bind("now", Timestamp.from(now)).execute());
    }

    /** queued → failed: nobody could run it. */
    boolean failQueued(UUID id, String reason, Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE device_operations SET status = 'failed', reason = :reason, finished_at = :now
                        WHERE id = :id AND status = 'queued'""")
                .bind("id", id).bind("reason", reason).bind("now", Timestamp.from(now)).execute()) == 1;
    }

    List<Queued> queued() {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, device_id FROM device_operations WHERE status = 'queued' ORDER BY created_at")
                .map((rs, ctx) -> new Queued(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class))).list());
    }

    /**
     * Ends what no replica will finish: queued longer than {@code queueTimeout} (no replica holds the device's
     * tunnel) → failed {@code device_offline}; running longer than {@code bound} plus a minute (the replica that
     * ran it died) → timeout {@code gateway_lost}. Answers how many rows it ended.
     */
    int sweep(Instant now, java.time.Duration queueTimeout, java.time.Duration bound) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE device_operations SET status = 'failed', reason = 'device_offline', finished_at = :now
                        WHERE status = 'queued' AND created_at < :queuedBefore""")
                .bind("now", Timestamp.from(now)).bind("queuedBefore", Timestamp.from(now.minus(queueTimeout))).execute()
                + h.createUpdate("""
                        UPDATE device_operations SET status = 'timeout', reason = 'gateway_lost', finished_at = :now
                        WHERE status = 'running' AND started_at < :startedBefore""")
                .bind("now", Timestamp.from(now)).bind("startedBefore", Timestamp.from(now.minus(bound).minusSeconds(60))).execute());
    }
}
