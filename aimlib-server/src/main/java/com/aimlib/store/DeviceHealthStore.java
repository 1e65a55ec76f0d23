package com.aimlib.store;

import com.aimlib.protocol.DeviceHealthBody;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code device_health} rows: what agents report, and which devices are unhealthy (no egress for the
 * configured time). Blocking (JDBC): call from a virtual thread.
 */
public final class DeviceHealthStore {
    /**
     * When the device's egress IP last changed: the newest history row, once there is more than the first sighting.
     * A rotation by the operator, the customer or the carrier all show up here. Two index probes whatever the
     * history's length ({@code device_egress_history_device_idx}).
     */
    public static final String LAST_ROTATION_SQL = """
            (SELECT x.observed_at FROM device_egress_history x WHERE x.device_id = d.id
               AND EXISTS (SELECT 1 FROM device_egress_history y WHERE y.device_id = d.id AND y.id <> x.id)
             ORDER BY x.observed_at DESC, x.id DESC LIMIT 1)""";

    private final Jdbi jdbi;

    public DeviceHealthStore(Database db) {
        this.jdbi = db.jdbi();
    }

    /**
     * One sample of a connected device. {@code answered}: the agent answered its health call (otherwise only the RTT
     * is new); {@code egressOk}: its egress probe succeeded (null: not checked, e.g. while rotating).
     */
    public record Report(UUID deviceId, boolean answered, Integer signalDbm, String networkType, Integer batteryPct,
                         Double temperatureC, String probeError, Double rttMs, Boolean egressOk) {
    }

    /** Stores a sample; true when it brought an unhealthy device back (its egress works again). */
    public boolean record(Report r, Instant now) {
        return jdbi.inTransaction(h -> {
            List<Timestamp> before = h.createQuery("SELECT unhealthy_since FROM device_health WHERE device_id = :id FOR UPDATE")
                    .bind("id", r.deviceId()).mapTo(Timestamp.class).list();
            boolean egress = Boolean.TRUE.equals(r.egressOk());
            h.createUpdate("""
                            INSERT INTO device_health (device_id, signal_dbm, network_type, battery_pct, temperature_c, probe_error,
                                                       rtt_ms, first_seen_at, reported_at, last_egress_at, unhealthy_since)
                            VALUES (:id, :signal, :type, :battery, :temp, :error, :rtt, :now, :now, :egressAt, NULL)
                            ON CONFLICT (device_id) DO UPDATE SET
                                signal_dbm = CASE WHEN :answered THEN EXCLUDED.signal_dbm ELSE device_health.signal_dbm END,
                                network_type = CASE WHEN :answered THEN EXCLUDED.network_type ELSE device_health.network_type END,
                                battery_pct = CASE WHEN :answered THEN EXCLUDED.battery_pct ELSE device_health.battery_pct END,
                                temperature_c = CASE WHEN :answered THEN EXCLUDED.temperature_c ELSE device_health.temperature_c END,
                                probe_error = CASE WHEN :answered THEN EXCLUDED.probe_error ELSE 'the agent did not answer' END,
                                rtt_ms = COALESCE(EXCLUDED.rtt_ms, device_health.rtt_ms),
                                reported_at = EXCLUDED.reported_at,
                                last_egress_at = COALESCE(EXCLUDED.last_egress_at, device_health.last_egress_at),
                                unhealthy_since = CASE WHEN EXCLUDED.last_egress_at IS NOT NULL THEN NULL
                                                       ELSE device_health.unhealthy_since END""")
                    .bind("id", r.deviceId()).bind("answered", r.answered())
                    .bind("signal", r.signalDbm()).bind("type", r.networkType()).bind("battery", r.batteryPct())
                    .bind("temp", r.temperatureC()).bind("error", r.probeError()).bind("rtt", r.rttMs())
                    .bind("now", Timestamp.from(now)).bind("egressAt", egress ? Timestamp.from(now) : null)
                    .execute();
            return egress && !before.isEmpty() && before.getFirst() != null;
        });
    }

    /**
     * Marks every device without egress for {@code after} (and not rotating) unhealthy, once: returns the devices
     * marked by this call, so each transition is counted by exactly one gateway replica.
     */
    public List<UUID> markUnhealthy(Instant now, Duration after) {
        return jdbi.withHandle(h -> h.createQuery("""
                        UPDATE device_health h SET unhealthy_since = :now
                        FROM devices d
                        WHERE d.id = h.device_id AND h.unhealthy_since IS NULL AND d.status <> 'rotating'
                          AND COALESCE(h.last_egress_at, h.first_seen_at) < :cutoff
                        RETURNING h.device_id""")
                .bind("now", Timestamp.from(now)).bind("cutoff", Timestamp.from(now.minus(after)))
                .mapTo(UUID.class).list());
    }

    /** How many devices are marked unhealthy now. */
    public int countUnhealthy() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM device_health WHERE unhealthy_since IS NOT NULL")
                .mapTo(Integer.class).one());
    }

    /** The operator's view of one device's health ({@code status} {@code unknown} when it never reported). */
    public Map<String, Object> adminView(UUID deviceId) {
        return adminViews(Optional.of(deviceId)).getOrDefault(deviceId, unknownView(null));
    }

    /** The operator's view of every device that has a health row or an egress history. */
    public Map<UUID, Map<String, Object>> adminViews() {
        return adminViews(Optional.empty());
    }

    private Map<UUID, Map<String, Object>> adminViews(Optional<UUID> only) {
        return jdbi.withHandle(h -> {
            Map<UUID, Map<String, Object>> out = new LinkedHashMap<>();
            h.createQuery("""
                            SELECT d.id, h.device_id AS reported, h.signal_dbm, h.network_type, h.battery_pct, h.temperature_c,
                                   h.probe_error, h.rtt_ms, h.reported_at, h.last_egress_at, h.unhealthy_since,
                                   """ + LAST_ROTATION_SQL + """
                             AS last_rotation_at
                            FROM devices d LEFT JOIN device_health h ON h.device_id = d.id
                            WHERE (CAST(:id AS uuid) IS NULL OR d.id = CAST(:id AS uuid))""")
                    .bind("id", only.orElse(null))
                    .map((rs, ctx) -> {
                        UUID id = rs.getObject("id", UUID.class);
                        if (rs.getObject("reported") == null) {
                            out.put(id, unknownView(instant(rs, "last_rotation_at")));
                            return id;
                        }
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("status", rs.getTimestamp("unhealthy_since") == null ? DeviceHealthBody.HEALTHY : DeviceHealthBody.UNHEALTHY);
                        m.put("network_type", rs.getString("network_type"));
                        m.put("signal_dbm", integer(rs, "signal_dbm"));
                        m.put("battery_pct", integer(rs, "battery_pct"));
                        m.put("temperature_c", decimal(rs, "temperature_c"));
                        m.put("rtt_ms", decimal(rs, "rtt_ms"));
                        m.put("probe_error", rs.getString("probe_error"));
                        m.put("reported_at", instant(rs, "reported_at"));
                        m.put("last_egress_at", instant(rs, "last_egress_at"));
                        m.put("unhealthy_since", instant(rs, "unhealthy_since"));
                        m.put("last_rotation_at", instant(rs, "last_rotation_at"));
                        out.put(id, m);
                        return id;
                    }).list();
            return out;
        });
    }

    private static Map<String, Object> unknownView(Instant lastRotation) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", DeviceHealthBody.UNKNOWN);
        for (String f : List.of("network_type", "signal_dbm", "battery_pct", "temperature_c", "rtt_ms", "probe_error",
                "reported_at", "last_egress_at", "unhealthy_since")) {
            m.put(f, null);
        }
        m.put("last_rotation_at", lastRotation);
        return m;
    }

    /** The customer's compact view from a row that joined {@code device_health h} with the columns below. */
    public static DeviceHealthBody customerView(ResultSet rs) throws SQLException {
        Instant lastRotation = instant(rs, "health_last_rotation_at");
        if (rs.getObject("health_device_id") == null) {
            return DeviceHealthBody.unknown(lastRotation);
        }
        return new DeviceHealthBody(rs.getTimestamp("health_unhealthy_since") == null ? DeviceHealthBody.HEALTHY : DeviceHealthBody.UNHEALTHY,
                rs.getString("health_network_type"), integer(rs, "health_signal_dbm"), integer(rs, "health_battery_pct"),
                decimal(rs, "health_temperature_c"), decimal(rs, "health_rtt_ms"), lastRotation, instant(rs, "health_reported_at"));
    }

    /** The columns {@link #customerView} reads, for a query that joins {@code device_health h} to {@code devices d}. */
    public static final String CUSTOMER_COLUMNS = """
            h.device_id AS health_device_id, h.unhealthy_since AS health_unhealthy_since, h.network_type AS health_network_type,
            h.signal_dbm AS health_signal_dbm, h.battery_pct AS health_battery_pct, h.temperature_c AS health_temperature_c,
            h.rtt_ms AS health_rtt_ms, h.reported_at AS health_reported_at,
            """ + LAST_ROTATION_SQL + " AS health_last_rotation_at";

    private static Integer integer(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static Double decimal(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
