package com.aimlib.gateway.replicas;

import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * A device's status as all replicas see it: each replica writes how many tunnel connections of the device it
 * holds (and whether it is rotating it) into {@code device_tunnel_presence}; {@code devices.status} is then
 * derived from every live replica's row: {@code rotating} while one rotates it, {@code online} while any holds a
 * connection, else {@code offline}. So a replica that loses its last connection never writes the device offline
 * while another still holds one. The device row is locked first, so concurrent writers from several replicas
 * take turns and each derives from the others' committed rows. Blocking (JDBC): call on a virtual thread.
 */
public final class TunnelPresence {
    private final Replicas replicas;

    public TunnelPresence(Replicas replicas) {
        this.replicas = replicas;
    }

    /** Records that this replica holds {@code connections} usable connections of the device, then re-derives its status. */
    public void sync(UUID deviceId, int connections, boolean rotating) {
        replicas.jdbi().useTransaction(h -> {
            if (h.createQuery("SELECT id FROM devices WHERE id = :id FOR UPDATE").bind("id", deviceId).mapTo(UUID.class).findOne().isEmpty()) {
                return;
            }
            if (connections > 0 && !replicas.closed()) {
                // Only while this replica is registered: a write racing its deregistration must not resurrect a claim.
                h.createUpdate("""
                                INSERT INTO device_tunnel_presence (device_id, replica_id, connections, rotating)
                                SELECT :d, r.id, :n, :rot FROM gateway_replicas r WHERE r.id = :r
                                ON CONFLICT (device_id, replica_id) DO UPDATE SET connections = :n, rotating = :rot""")
                        .bind("d", deviceId).bind("r", replicas.id()).bind("n", connections).bind("rot", rotating).execute();
            } else {
                h.createUpdate("DELETE FROM device_tunnel_presence WHERE device_id = :d AND replica_id = :r")
                        .bind("d", deviceId).bind("r", replicas.id()).execute();
            }
            derive(h, deviceId, replicas.expirySeconds());
        });
    }

    /** Sets the device's status from the presence rows of live replicas; the device row must be locked or lockable. */
    static void derive(Handle h, UUID deviceId, double expirySeconds) {
        h.createUpdate("""
                        UPDATE devices d SET status = (
                                 SELECT CASE WHEN bool_or(p.rotating) THEN 'rotating' WHEN count(*) > 0 THEN 'online' ELSE 'offline' END
                                 FROM device_tunnel_presence p
                                 JOIN gateway_replicas r ON r.id = p.replica_id AND r.heartbeat_at >= now() - make_interval(secs => :expiry_s)
                                 WHERE p.device_id = d.id),
                               last_seen_at = now()
                        WHERE d.id = :d""")
                .bind("d", deviceId).bind("expiry_s", expirySeconds).execute();
    }
}
