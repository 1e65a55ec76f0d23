package com.aimlib.gateway.proxy;

import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** The SQL of the proxy front: credential lookup, lease liveness, device budgets and usage flushes. Blocking. */
final class ProxyStore {
    private final Jdbi jdbi;
    private final SecretBox box;

    /** Opened in place of a password when the username is unknown, so both answers cost one decryption. */
    private final byte[] decoy;

    ProxyStore(Database db, SecretBox box) {
        this.jdbi = db.jdbi();
        this.box = box;
        this.decoy = box.seal(Secrets.randomAlphanumeric(24));
    }

    /**
     * What a proxy username resolves to; {@code usable} says whether the lease, proxy and time allow traffic now.
     * {@code passwordHash}: SHA-256 of the password. {@code sessionId}: set for a browser session's bridge credential
     * (issue 12), which is usable only while that session is live too.
     */
    record Login(UUID proxyId, UUID leaseId, UUID deviceId, byte[] passwordHash, boolean usable, UUID sessionId) {
        Login(UUID proxyId, UUID leaseId, UUID deviceId, String password, boolean usable) {
            this(proxyId, leaseId, deviceId, Secrets.hash(password), usable, null);
        }
    }

    /** Live session states: a bridge credential works in these only. */
    private static final String LIVE = "('requested','provisioning','ready','active','idle')";

    /** A session's bridge credential (issue 12): the hash is stored, nothing to decrypt. */
    Optional<Login> bridgeLogin(String username, Instant now) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT p.id AS proxy_id, b.password_hash, b.session_id, s.status AS session_status, p.status AS proxy_status,
                               l.id AS lease_id, l.device_id, l.status AS lease_status, l.ends_at, c.status AS customer_status
                        FROM session_bridge_credentials b JOIN browser_sessions s ON s.id = b.session_id
                        JOIN leases l ON l.id = s.lease_id JOIN proxies p ON p.lease_id = l.id JOIN customers c ON c.id = l.customer_id
                        WHERE b.username = :u""")
                .bind("u", username)
                .map((rs, ctx) -> {
                    java.sql.Timestamp ends = rs.getTimestamp("ends_at");
                    boolean usable = LIVE.contains("'" + rs.getString("session_status") + "'")
                            && "active".equals(rs.getString("proxy_status")) && "active".equals(rs.getString("lease_status"))
                            && "active".equals(rs.getString("customer_status")) && (ends == null || ends.toInstant().isAfter(now));
                    return new Login(rs.getObject("proxy_id", UUID.class), rs.getObject("lease_id", UUID.class),
                            rs.getObject("device_id", UUID.class), rs.getBytes("password_hash"), usable, rs.getObject("session_id", UUID.class));
                }).findOne());
    }

    /** The subset of {@code sessionIds} whose bridge credential still works (session live, its lease usable). */
    Set<UUID> usableBridges(Collection<UUID> sessionIds, Instant now) {
        if (sessionIds.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(jdbi.withHandle(h -> h.createQuery("""
                        SELECT s.id FROM browser_sessions s JOIN session_bridge_credentials b ON b.session_id = s.id
                        JOIN leases l ON l.id = s.lease_id JOIN proxies p ON p.lease_id = l.id JOIN customers c ON c.id = l.customer_id
                        WHERE s.id = ANY(:ids) AND s.status IN """ + LIVE + """
                          AND l.status = 'active' AND p.status = 'active' AND c.status = 'active' AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("ids", sessionIds.toArray(UUID[]::new)).bind("now", now)
                .mapTo(UUID.class).list()));
    }

    Optional<Login> login(String username, Instant now) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT p.id AS proxy_id, p.password_enc, p.status AS proxy_status, l.id AS lease_id, l.device_id,
                               l.status AS lease_status, l.ends_at, c.status AS customer_status
                        FROM proxies p JOIN leases l ON l.id = p.lease_id JOIN customers c ON c.id = l.customer_id
                        WHERE p.username = :u""")
                .bind("u", username)
                .map((rs, ctx) -> {
                    java.sql.Timestamp ends = rs.getTimestamp("ends_at");
                    boolean usable = "active".equals(rs.getString("proxy_status")) && "active".equals(rs.getString("lease_status"))
                            && "active".equals(rs.getString("customer_status")) && (ends == null || ends.toInstant().isAfter(now));
                    return new Login(rs.getObject("proxy_id", UUID.class), rs.getObject("lease_id", UUID.class),
                            rs.getObject("device_id", UUID.class), box.open(rs.getBytes("password_enc")), usable);
                }).findOne()).or(() -> {
                    box.open(decoy);
                    return Optional.empty();
                });
    }

    /** The subset of {@code leaseIds} that may still carry traffic (customer and lease active, lease not past its end, proxy active). */
    Set<UUID> usableLeases(Collection<UUID> leaseIds, Instant now) {
        if (leaseIds.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(jdbi.withHandle(h -> h.createQuery("""
                        SELECT l.id FROM leases l JOIN proxies p ON p.lease_id = l.id JOIN customers c ON c.id = l.customer_id
                        WHERE l.id = ANY(:ids) AND l.status = 'active' AND p.status = 'active' AND c.status = 'active'
                          AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("ids", leaseIds.toArray(UUID[]::new)).bind("now", now)
                .mapTo(UUID.class).list()));
    }

    /** Every lease of {@code customerId} (any status): what a suspension must stop. */
    Set<UUID> leasesOf(UUID customerId) {
        return new HashSet<>(jdbi.withHandle(h -> h.createQuery("SELECT id FROM leases WHERE customer_id = :c")
                .bind("c", customerId).mapTo(UUID.class).list()));
    }

    /** A device's monthly cap (null: unlimited) and the bytes already recorded for {@code month}. */
    record Budget(Long capBytes, long usedBytes) {
    }

    Map<UUID, Budget> budgets(Collection<UUID> deviceIds, LocalDate month) {
        Map<UUID, Budget> out = new HashMap<>();
        if (deviceIds.isEmpty()) {
            return out;
        }
        jdbi.useHandle(h -> h.createQuery("""
                        SELECT d.id, d.monthly_cap_bytes, COALESCE(u.bytes_up + u.bytes_down, 0) AS used
                        FROM devices d LEFT JOIN device_usage u ON u.device_id = d.id AND u.month = :month
                        WHERE d.id = ANY(:ids)""")
                .bind("ids", deviceIds.toArray(UUID[]::new)).bind("month", month)
                .map((rs, ctx) -> {
                    long cap = rs.getLong("monthly_cap_bytes");
                    Long capOrNull = rs.wasNull() ? null : cap;
                    out.put(rs.getObject("id", UUID.class), new Budget(capOrNull, rs.getLong("used")));
                    return null;
                }).list());
        return out;
    }

    /** Bytes to add to one device's month and one lease. */
    record Delta(UUID id, long up, long down) {
    }

    /** Adds the deltas in one transaction. */
    void addUsage(Collection<Delta> devices, LocalDate month, Collection<Delta> leases) {
        if (devices.isEmpty() && leases.isEmpty()) {
            return;
        }
        jdbi.useTransaction(h -> {
            var deviceBatch = h.prepareBatch("""
                    INSERT INTO device_usage (device_id, month, bytes_up, bytes_down, updated_at)
                    VALUES (:id, :month, :up, :down, now())
                    ON CONFLICT (device_id, month) DO UPDATE SET bytes_up = device_usage.bytes_up + EXCLUDED.bytes_up,
                        bytes_down = device_usage.bytes_down + EXCLUDED.bytes_down, updated_at = now()""");
            for (Delta d : devices) {
                deviceBatch.bind("id", d.id()).bind("month", month).bind("up", d.up()).bind("down", d.down()).add();
            }
            if (!devices.isEmpty()) {
                deviceBatch.execute();
            }
            var leaseBatch = h.prepareBatch("UPDATE leases SET bytes_up = bytes_up + :up, bytes_down = bytes_down + :down WHERE id = :id");
            for (Delta d : leases) {
                leaseBatch.bind("id", d.id()).bind("up", d.up()).bind("down", d.down()).add();
            }
            if (!leases.isEmpty()) {
                leaseBatch.execute();
            }
        });
    }
}
