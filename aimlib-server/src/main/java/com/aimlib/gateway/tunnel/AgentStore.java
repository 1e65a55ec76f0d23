package com.aimlib.gateway.tunnel;

import com.aimlib.store.Database;
import com.aimlib.store.Secrets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device rows the tunnel owns: agent tokens (hash and prefix only), status, last sighting, carrier,
 * egress IP and its history. Blocking (JDBC): call from a virtual thread.
 */
public final class AgentStore {
    private static final Logger log = LoggerFactory.getLogger(AgentStore.class);
    public static final String TOKEN_PREFIX = "at_";

    private final Jdbi jdbi;

    public AgentStore(Database db) {
        this.jdbi = db.jdbi();
    }

    /** A freshly minted agent token: the only time its plaintext exists on the gateway. */
    public record MintedToken(UUID deviceId, String token, String prefix) {
    }

    /** Replaces the device's agent token; empty when there is no such device. */
    public Optional<MintedToken> mintToken(UUID deviceId) {
        String token = TOKEN_PREFIX + Secrets.randomAlphanumeric(40);
        String prefix = token.substring(0, TOKEN_PREFIX.length() + 6);
        int n = jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE devices SET agent_token_hash = :hash, agent_token_prefix = :prefix WHERE id = :id""")
                .bind("hash", Secrets.hash(token)).bind("prefix", prefix).bind("id", deviceId).execute());
        return n == 1 ? Optional.of(new MintedToken(deviceId, token, prefix)) : Optional.empty();
    }

    /** The id of the device called {@code name}, if there is one. */
    public Optional<UUID> deviceIdByName(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id FROM devices WHERE name = :name")
                .bind("name", name).mapTo(UUID.class).findOne());
    }

    /** True when {@code token} is the current agent token of {@code deviceId}. */
    public boolean authenticate(UUID deviceId, String token) {
        List<byte[]> stored = jdbi.withHandle(h -> h.createQuery("SELECT agent_token_hash FROM devices WHERE id = :id")
                .bind("id", deviceId).mapTo(byte[].class).list());
        byte[] hash = stored.isEmpty() ? null : stored.get(0);
        // An unknown device or one without a token is compared with a decoy: every answer costs one hash and one comparison.
        boolean same = Secrets.same(hash == null ? DECOY_HASH : hash, Secrets.hash(token));
        return hash != null && same;
    }

    private static final byte[] DECOY_HASH = Secrets.hash(Secrets.randomAlphanumeric(40));

    public void setStatus(UUID deviceId, String status) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE devices SET status = :status, last_seen_at = now() WHERE id = :id")
                .bind("status", status).bind("id", deviceId).execute());
    }

    /**
     * Records the phone's own time zone and locale as its agent reported them, each checked as a profile's would be;
     * a value that is not a real zone or tag is ignored (logged), never stored. Absent values leave what was stored.
     */
    public void reportLocale(UUID deviceId, String timezone, String locale) {
        String tz = checked(deviceId, "timezone", timezone, com.aimlib.protocol.identity.ProfileOverrides::validTimezone);
        String lc = checked(deviceId, "locale", locale, com.aimlib.protocol.identity.ProfileOverrides::validLocale);
        if (tz == null && lc == null) {
            return;
        }
        jdbi.useHandle(h -> h.createUpdate("""
                        UPDATE devices SET reported_timezone = COALESCE(CAST(:tz AS text), reported_timezone),
                               reported_locale = COALESCE(CAST(:locale AS text), reported_locale)
                        WHERE id = :id""")
                .bind("tz", tz).bind("locale", lc).bind("id", deviceId).execute());
    }

    private static String checked(UUID deviceId, String key, String value, java.util.function.UnaryOperator<String> check) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return check.apply(value.strip());
        } catch (RuntimeException e) {
            log.info("event=device_reported_{}_invalid device={}", key, deviceId);
            return null;
        }
    }

    /**
     * Records what the agent reported: carrier (when it has one), the egress IP, a sighting, and a
     * history row whenever the IP differs from the stored one (else the current row's last sighting moves).
     */
    public void report(UUID deviceId, String carrier, String egressIp) {
        report(deviceId, carrier, egressIp, null);
    }

    /**
     * {@link #report(UUID, String, String)}; live browser sessions on the device take a new IP as their
     * {@code egress_ip}; a new IP's history row is tagged as the result of rotation
     * {@code operationId} when that is not null, else as observed (the carrier changed it on its own).
     */
    public void report(UUID deviceId, String carrier, String egressIp, UUID operationId) {
        jdbi.useTransaction(h -> {
            List<String> previous = h.createQuery("SELECT current_egress_ip FROM devices WHERE id = :id FOR UPDATE")
                    .bind("id", deviceId).mapTo(String.class).list();
            h.createUpdate("""
                            UPDATE devices SET carrier = COALESCE(:carrier, carrier),
                                   current_egress_ip = COALESCE(:ip, current_egress_ip), last_seen_at = now()
                            WHERE id = :id""")
                    .bind("carrier", carrier).bind("ip", egressIp).bind("id", deviceId).execute();
            if (egressIp != null && !previous.isEmpty() && !egressIp.equals(previous.get(0))) {
                h.createUpdate("""
                                INSERT INTO device_egress_history (device_id, ip, source, operation_id)
                                VALUES (:id, :ip, :source, CAST(:op AS uuid))""")
                        .bind("id", deviceId).bind("ip", egressIp).bind("source", operationId == null ? "observed" : "rotation")
                        .bind("op", operationId).execute();
                // A live browser goes out through the device, so its egress IP is the device's new one (a pre-bound row
                // that never started has no browser and no egress IP).
                h.createUpdate("""
                                UPDATE browser_sessions SET egress_ip = :ip
                                WHERE device_id = :id AND status IN ('ready', 'active', 'idle') AND started_at IS NOT NULL
                                  AND egress_ip IS DISTINCT FROM :ip""")
                        .bind("id", deviceId).bind("ip", egressIp).execute();
            } else if (egressIp != null) {
                h.createUpdate("""
                                UPDATE device_egress_history SET last_seen_at = now()
                                WHERE id = (SELECT max(id) FROM device_egress_history WHERE device_id = :id) AND ip = :ip""")
                        .bind("id", deviceId).bind("ip", egressIp).execute();
            }
        });
    }
}
