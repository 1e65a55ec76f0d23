package com.aimlib.store;

import com.aimlib.protocol.DeviceHealthBody;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The devices a customer holds an active lease on, with each lease's proxy (if any), in one indexed
 * query ({@code leases_customer_idx}). Blocking (JDBC): call from a virtual thread.
 */
public final class LeasedDevices {
    private final Jdbi jdbi;
    private final SecretBox box;

    public LeasedDevices(Database db, SecretBox box) {
        this.jdbi = db.jdbi();
        this.box = box;
    }

    /** A proxy as the customer sees it: the password decrypted for the URL. */
    public record LeasedProxy(UUID id, String protocol, String username, String password, String status) {
    }

    /** One active lease: the device, the lease end, its proxy (null when the lease has none) and the device's health. */
    public record LeasedDevice(UUID deviceId, String region, String carrier, String currentEgressIp,
                               UUID leaseId, Instant leaseEndsAt, LeasedProxy proxy, DeviceHealthBody health) {
    }

    /** Leases of {@code customerId} that are active at {@code now} (started, not ended, not past their end). */
    public List<LeasedDevice> active(UUID customerId, Instant now) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT d.id AS device_id, d.region, d.carrier, d.current_egress_ip,
                               l.id AS lease_id, l.ends_at,
                               p.id AS proxy_id, p.protocol, p.username, p.password_enc, p.status AS proxy_status,
                        """ + DeviceHealthStore.CUSTOMER_COLUMNS + """

                        FROM leases l
                        JOIN devices d ON d.id = l.device_id
                        LEFT JOIN proxies p ON p.lease_id = l.id
                        LEFT JOIN device_health h ON h.device_id = d.id
                        WHERE l.customer_id = :customer AND l.status = 'active'
                          AND l.starts_at <= :now AND (l.ends_at IS NULL OR l.ends_at > :now)
                        ORDER BY l.created_at, l.id""")
                .bind("customer", customerId).bind("now", now)
                .map((rs, ctx) -> {
                    UUID proxyId = rs.getObject("proxy_id", UUID.class);
                    LeasedProxy proxy = proxyId == null ? null : new LeasedProxy(proxyId, rs.getString("protocol"),
                            rs.getString("username"), box.open(rs.getBytes("password_enc")), rs.getString("proxy_status"));
                    return new LeasedDevice(rs.getObject("device_id", UUID.class), rs.getString("region"),
                            rs.getString("carrier"), rs.getString("current_egress_ip"), rs.getObject("lease_id", UUID.class),
                            Accounts.instant(rs, "ends_at"), proxy, DeviceHealthStore.customerView(rs));
                })
                .list());
    }
}
