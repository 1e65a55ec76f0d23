package com.aimlib.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Customers, API keys, devices, leases and their proxies: the rows every other part builds on.
 * Blocking (JDBC): call from a virtual thread.
 */
public final class Accounts {
    /** Every customer scope; a key minted without a list gets all of them. */
    public static final Set<String> CUSTOMER_SCOPES = Set.of("proxies.read", "sessions.write", "tickets.write");
    public static final String KEY_PREFIX = "ak_live_";
    public static final String OPERATOR_KEY_PREFIX = "ak_op_";

    private final Jdbi jdbi;
    private final SecretBox box;

    public Accounts(Database db, SecretBox box) {
        this.jdbi = db.jdbi();
        this.box = box;
    }

    public record Customer(UUID id, String name, String status, int maxBrowserSessions, Instant createdAt) {
    }

    /** A key row; the plaintext key is never stored, {@code prefix} is what listings show. */
    public record ApiKey(UUID id, String kind, UUID customerId, String name, Set<String> scopes, String prefix,
                         Instant createdAt, Instant expiresAt, Instant revokedAt, Instant lastUsedAt) {
    }

    /** A freshly minted key: the only moment the plaintext exists outside the caller. */
    public record MintedKey(ApiKey key, String plaintext) {
    }

    public record Device(UUID id, String name, String region, String carrier, String currentEgressIp,
                         int maxBrowserSessions, Long monthlyCapBytes, String status, Instant lastSeenAt, Instant createdAt,
                         String timezone, String locale, String reportedTimezone, String reportedLocale) {
    }

    public record Lease(UUID id, UUID customerId, UUID deviceId, Instant startsAt, Instant endsAt, String status,
                        Instant createdAt, Instant endedAt) {
    }

    /** A proxy with its password decrypted, ready to be put into a URL. */
    public record Proxy(UUID id, UUID leaseId, String protocol, String username, String password, String status) {
    }

    public Customer createCustomer(String name, int maxBrowserSessions) {
        UUID id = UUID.randomUUID();
        return jdbi.withHandle(h -> h.createQuery("""
                        INSERT INTO customers (id, name, max_browser_sessions) VALUES (:id, :name, :max)
                        RETURNING id, name, status, max_browser_sessions, created_at""")
                .bind("id", id).bind("name", name).bind("max", maxBrowserSessions)
                .map((rs, ctx) -> customer(rs)).one());
    }

    public Optional<Customer> customer(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name, status, max_browser_sessions, created_at FROM customers WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> customer(rs)).findOne());
    }

    public List<Customer> customers() {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name, status, max_browser_sessions, created_at FROM customers ORDER BY created_at, name")
                .map((rs, ctx) -> customer(rs)).list());
    }

    /** Sets status ('active'/'suspended') and/or the session cap; null leaves a field as it is. */
    public Optional<Customer> updateCustomer(UUID id, String status, Integer maxBrowserSessions) {
        return jdbi.withHandle(h -> h.createQuery("""
                        UPDATE customers SET status = COALESCE(CAST(:status AS text), status),
                               max_browser_sessions = COALESCE(CAST(:max AS integer), max_browser_sessions)
                        WHERE id = :id RETURNING id, name, status, max_browser_sessions, created_at""")
                .bind("id", id).bind("status", status).bind("max", maxBrowserSessions)
                .map((rs, ctx) -> customer(rs)).findOne());
    }

    /** Mints a key (customer kind when {@code customerId} is set, operator otherwise). The plaintext is returned once. */
    public MintedKey mintKey(UUID customerId, String name, Set<String> scopes, Instant expiresAt) {
        String kind = customerId == null ? "operator" : "customer";
        String plaintext = (customerId == null ? OPERATOR_KEY_PREFIX : KEY_PREFIX) + Secrets.randomAlphanumeric(40);
        return new MintedKey(insertKey(kind, customerId, name, scopes, expiresAt, plaintext), plaintext);
    }

    /** Stores a key whose plaintext the caller chose (an operator key preset through the environment). */
    public ApiKey insertKey(String kind, UUID customerId, String name, Set<String> scopes, Instant expiresAt, String plaintext) {
        UUID id = UUID.randomUUID();
        String prefix = plaintext.substring(0, Math.min(plaintext.length(), plaintext.indexOf('_', 3) + 7));
        return jdbi.withHandle(h -> h.createQuery("""
                        INSERT INTO api_keys (id, kind, customer_id, name, scopes, prefix, key_hash, expires_at)
                        VALUES (:id, :kind, CAST(:customer AS uuid), CAST(:name AS text), :scopes, :prefix, :hash, CAST(:expires AS timestamptz))
                        RETURNING *""")
                .bind("id", id).bind("kind", kind).bind("customer", customerId).bind("name", name)
                .bind("scopes", scopes.toArray(String[]::new)).bind("prefix", prefix)
                .bind("hash", Secrets.hash(plaintext)).bind("expires", expiresAt)
                .map((rs, ctx) -> apiKey(rs)).one());
    }

    /** The key whose plaintext hashes to {@code hash}, whatever its state (the caller checks revoked/expired). */
    public Optional<ApiKey> keyByHash(byte[] hash) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM api_keys WHERE key_hash = :hash")
                .bind("hash", hash).map((rs, ctx) -> apiKey(rs)).findOne());
    }

    public List<ApiKey> keys(UUID customerId, String prefix) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT * FROM api_keys
                        WHERE (CAST(:customer AS uuid) IS NULL OR customer_id = CAST(:customer AS uuid))
                          AND (CAST(:prefix AS text) IS NULL OR prefix LIKE :prefix || '%')
                        ORDER BY created_at""")
                .bind("customer", customerId).bind("prefix", prefix)
                .map((rs, ctx) -> apiKey(rs)).list());
    }

    public boolean revokeKey(UUID id) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE api_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id).execute()) == 1;
    }

    public Device createDevice(String name, String region, String carrier, int maxBrowserSessions, Long monthlyCapBytes) {
        UUID id = UUID.randomUUID();
        return jdbi.withHandle(h -> h.createQuery("""
                        INSERT INTO devices (id, name, region, carrier, max_browser_sessions, monthly_cap_bytes)
                        VALUES (:id, :name, :region, CAST(:carrier AS text), :max, CAST(:cap AS bigint)) RETURNING *""")
                .bind("id", id).bind("name", name).bind("region", region).bind("carrier", carrier)
                .bind("max", maxBrowserSessions).bind("cap", monthlyCapBytes)
                .map((rs, ctx) -> device(rs)).one());
    }

    public Optional<Device> device(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM devices WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> device(rs)).findOne());
    }

    public Optional<Device> deviceByName(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM devices WHERE name = :name").bind("name", name)
                .map((rs, ctx) -> device(rs)).findOne());
    }

    public List<Device> devices() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM devices ORDER BY created_at, name").map((rs, ctx) -> device(rs)).list());
    }

    /** Updates the operator-set fields; null leaves a field as it is. */
    public Optional<Device> updateDevice(UUID id, String region, String carrier, Integer maxBrowserSessions, Long monthlyCapBytes) {
        return updateDevice(id, region, carrier, maxBrowserSessions, monthlyCapBytes, false);
    }

    /** As above; {@code clearCap} removes the monthly cap (unlimited) and wins over {@code monthlyCapBytes}. */
    public Optional<Device> updateDevice(UUID id, String region, String carrier, Integer maxBrowserSessions, Long monthlyCapBytes,
                                         boolean clearCap) {
        return jdbi.withHandle(h -> h.createQuery("""
                        UPDATE devices SET region = COALESCE(CAST(:region AS text), region), carrier = COALESCE(CAST(:carrier AS text), carrier),
                               max_browser_sessions = COALESCE(CAST(:max AS integer), max_browser_sessions),
                               monthly_cap_bytes = CASE WHEN :clear THEN NULL ELSE COALESCE(CAST(:cap AS bigint), monthly_cap_bytes) END
                        WHERE id = :id RETURNING *""")
                .bind("id", id).bind("region", region).bind("carrier", carrier).bind("max", maxBrowserSessions)
                .bind("cap", monthlyCapBytes).bind("clear", clearCap).map((rs, ctx) -> device(rs)).findOne());
    }

    /**
     * Sets the phone's own time zone and locale, the defaults of its sessions' profiles; null leaves a value as it
     * is, {@code clear*} removes it (the device's region decides again).
     */
    public Optional<Device> updateDeviceLocale(UUID id, String timezone, boolean clearTimezone, String locale, boolean clearLocale) {
        return jdbi.withHandle(h -> h.createQuery("""
                        UPDATE devices SET timezone = CASE WHEN :clearTz THEN NULL ELSE COALESCE(CAST(:tz AS text), timezone) END,
                               locale = CASE WHEN :clearLocale THEN NULL ELSE COALESCE(CAST(:locale AS text), locale) END
                        WHERE id = :id RETURNING *""")
                .bind("id", id).bind("tz", timezone).bind("clearTz", clearTimezone).bind("locale", locale)
                .bind("clearLocale", clearLocale).map((rs, ctx) -> device(rs)).findOne());
    }

    /**
     * Leases {@code deviceId} to {@code customerId}, with a proxy of {@code protocol} ('http' or 'socks5',
     * or null for a lease without proxy). Fails if the device is already leased.
     */
    public Lease createLease(UUID customerId, UUID deviceId, Instant endsAt, String protocol) {
        UUID leaseId = UUID.randomUUID();
        return jdbi.inTransaction(h -> {
            Lease lease = h.createQuery("""
                            INSERT INTO leases (id, customer_id, device_id, ends_at) VALUES (:id, :customer, :device, CAST(:ends AS timestamptz))
                            RETURNING id, customer_id, device_id, starts_at, ends_at, status, created_at, ended_at""")
                    .bind("id", leaseId).bind("customer", customerId).bind("device", deviceId).bind("ends", endsAt)
                    .map((rs, ctx) -> lease(rs)).one();
            if (protocol != null) {
                h.createUpdate("""
                                INSERT INTO proxies (id, lease_id, protocol, username, password_enc)
                                VALUES (:id, :lease, :protocol, :user, :pass)""")
                        .bind("id", UUID.randomUUID()).bind("lease", leaseId).bind("protocol", protocol)
                        .bind("user", "u" + Secrets.randomAlphanumeric(15).toLowerCase())
                        .bind("pass", box.seal(Secrets.randomAlphanumeric(24)))
                        .execute();
            }
            return lease;
        });
    }

    public Optional<Lease> lease(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, customer_id, device_id, starts_at, ends_at, status, created_at, ended_at FROM leases WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> lease(rs)).findOne());
    }

    public List<Lease> leases(UUID customerId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT id, customer_id, device_id, starts_at, ends_at, status, created_at, ended_at FROM leases
                        WHERE (CAST(:customer AS uuid) IS NULL OR customer_id = CAST(:customer AS uuid)) ORDER BY created_at""")
                .bind("customer", customerId).map((rs, ctx) -> lease(rs)).list());
    }

    /** Ends an active lease now; false when it was not active. */
    public boolean endLease(UUID id) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE leases SET status = 'ended', ended_at = now() WHERE id = :id AND status = 'active'")
                .bind("id", id).execute()) == 1;
    }

    public Optional<Proxy> proxyForLease(UUID leaseId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM proxies WHERE lease_id = :lease").bind("lease", leaseId)
                .map((rs, ctx) -> proxy(rs)).findOne());
    }

    public Optional<Customer> customerByName(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name, status, max_browser_sessions, created_at FROM customers WHERE name = :name")
                .bind("name", name).map((rs, ctx) -> customer(rs)).findOne());
    }

    public Optional<ApiKey> key(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM api_keys WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> apiKey(rs)).findOne());
    }

    /** Records when keys were last used, in one batch; a stamp never moves {@code last_used_at} backwards. */
    public void touchKeys(java.util.Map<UUID, Instant> stamps) {
        if (stamps.isEmpty()) {
            return;
        }
        jdbi.useHandle(h -> {
            var batch = h.prepareBatch("UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, :at), :at) WHERE id = :id");
            stamps.forEach((id, at) -> batch.bind("id", id).bind("at", at).add());
            batch.execute();
        });
    }

    /** Leases filtered by customer, device and status (each optional), oldest first. */
    public List<Lease> leases(UUID customerId, UUID deviceId, String status) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT id, customer_id, device_id, starts_at, ends_at, status, created_at, ended_at FROM leases
                        WHERE (CAST(:customer AS uuid) IS NULL OR customer_id = CAST(:customer AS uuid))
                          AND (CAST(:device AS uuid) IS NULL OR device_id = CAST(:device AS uuid))
                          AND (CAST(:status AS text) IS NULL OR status = :status)
                        ORDER BY created_at""")
                .bind("customer", customerId).bind("device", deviceId).bind("status", status)
                .map((rs, ctx) -> lease(rs)).list());
    }

    private Proxy proxy(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Proxy(rs.getObject("id", UUID.class), rs.getObject("lease_id", UUID.class), rs.getString("protocol"),
                rs.getString("username"), box.open(rs.getBytes("password_enc")), rs.getString("status"));
    }

    private static Customer customer(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Customer(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("status"),
                rs.getInt("max_browser_sessions"), instant(rs, "created_at"));
    }

    private static ApiKey apiKey(java.sql.ResultSet rs) throws java.sql.SQLException {
        String[] scopes = (String[]) rs.getArray("scopes").getArray();
        return new ApiKey(rs.getObject("id", UUID.class), rs.getString("kind"), rs.getObject("customer_id", UUID.class),
                rs.getString("name"), Set.of(scopes), rs.getString("prefix"), instant(rs, "created_at"),
                instant(rs, "expires_at"), instant(rs, "revoked_at"), instant(rs, "last_used_at"));
    }

    private static Device device(java.sql.ResultSet rs) throws java.sql.SQLException {
        long cap = rs.getLong("monthly_cap_bytes");
        Long capOrNull = rs.wasNull() ? null : cap;
        return new Device(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("region"), rs.getString("carrier"),
                rs.getString("current_egress_ip"), rs.getInt("max_browser_sessions"), capOrNull, rs.getString("status"),
                instant(rs, "last_seen_at"), instant(rs, "created_at"), rs.getString("timezone"), rs.getString("locale"),
                rs.getString("reported_timezone"), rs.getString("reported_locale"));
    }

    private static Lease lease(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Lease(rs.getObject("id", UUID.class), rs.getObject("customer_id", UUID.class), rs.getObject("device_id", UUID.class),
                instant(rs, "starts_at"), instant(rs, "ends_at"), rs.getString("status"), instant(rs, "created_at"), instant(rs, "ended_at"));
    }

    static Instant instant(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        java.sql.Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
