package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import java.time.Duration;
import static com.aimlib.gateway.sessions.SessionState.*;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Uuids;
import com.aimlib.protocol.host.BootOrder;
import com.aimlib.protocol.host.GatewayLink;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.protocol.BrowserSessionBody;
import com.aimlib.protocol.BrowserSessionCreated;
import com.aimlib.protocol.StatusBody;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session scheduler: create (caps, adoption, host choice) in one transaction, read, stop; the
 * gateway end of the host link (registration, heart-beats, ready/failed/stopped reports); and what the
 * relay needs (authorization, connected clients, activity).
 *
 * <p>Caps count only sessions bound to a host: a pre-bound idle row (no host, no browser) is free and
 * never blocks the POST that adopts it.
 */
public final class BrowserSessions implements GatewayLink {
    private static final TypeReference<Map<String, Object>> PROFILE = new TypeReference<>() {
    };
    private static final Logger log = LoggerFactory.getLogger(BrowserSessions.class);
    private static final String LIVE_SQL = "('requested','provisioning','ready','active','idle')";

    private final Jdbi jdbi;
    private final SecretBox box;
    private final Clock clock;
    private final BrowserSettings settings;
    private final boolean autoBrowserSession;
    private final int maxTabs;
    private final Supplier<String> wsBase;
    private final ExecutorService blocking;
    private final byte[] relayKey;
    private final Map<UUID, HostLink> hosts = new ConcurrentHashMap<>();
    /** Hosts on other machines (issue 12): a link built from the host's row, so every replica reaches every host. */
    private volatile java.util.function.Function<UUID, HostLink> remoteHosts = id -> null;
    private final Map<UUID, AtomicInteger> relayClients = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> touched = new ConcurrentHashMap<>();
    private final ArrayDeque<Long> bootMillis = new ArrayDeque<>();
    private final SessionProfiles profiles = new SessionProfiles(java.nio.file.Path.of("/usr/bin/chromium"));
    private volatile com.aimlib.gateway.recordings.Recordings recordings;
    /** Sessions handed to an in-process host, until ready: when their POST began and their boot order left. */
    private final Map<UUID, StartMark> starts = new ConcurrentHashMap<>();
    /** Sessions reported ready whose identity this process's host is still applying (issue 10): relay clients wait on these. */
    private final Map<UUID, PendingIdentity> identityPending = new ConcurrentHashMap<>();

    /** This replica's signal for one session's identity, and when its ready was reported (leftovers expire). */
    private record PendingIdentity(java.util.concurrent.CompletableFuture<Void> signal, long since) {
    }
    private volatile StartMeters startMeters = new StartMeters(io.micrometer.core.instrument.Metrics.globalRegistry);

    private record StartMark(long postNanos, long dispatchedNanos, String region) {
    }

    public BrowserSessions(Database db, SecretBox box, Clock clock, BrowserSettings settings, boolean autoBrowserSession,
                           int maxTabs, Supplier<String> wsBase, ExecutorService blocking) {
        this.jdbi = db.jdbi();
        this.box = box;
        this.clock = clock;
        this.settings = settings;
        this.autoBrowserSession = autoBrowserSession;
        this.maxTabs = maxTabs;
        this.wsBase = wsBase;
        this.blocking = blocking;
        this.relayKey = box.derive("aimlib host relay v1");
    }

    public BrowserSettings settings() {
        return settings;
    }

    /** Where the start-time histograms go (the gateway's registry; the global one until set). */
    public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
        this.startMeters = new StartMeters(registry);
    }

    Clock clock() {
        return clock;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    SessionProfiles profiles() {
        return profiles;
    }

    SecretBox box() {
        return box;
    }

    /** How links to hosts on other machines are built from their rows (issue 12; none until set). */
    public void remoteHosts(java.util.function.Function<UUID, HostLink> resolver) {
        this.remoteHosts = resolver;
    }

    /** The link to the host: in process, else the remote one from its row; null when neither. */
    private HostLink link(UUID hostId) {
        if (hostId == null) {
            return null;
        }
        HostLink l = hosts.get(hostId);
        return l != null ? l : remoteHosts.apply(hostId);
    }

    /** A session's bridge credential: what its bridge presents to the proxy front, for this session only. */
    record Bridge(String username, String password) {
        @Override
        public String toString() {
            return "Bridge[" + username + "]";
        }
    }

    /**
     * Mints the session's bridge credential (issue 12), replacing any it had: random, stored as a hash, accepted by the
     * proxy front only while the session is live; its traffic counts against the session's lease.
     */
    Bridge mintBridge(Handle h, UUID sessionId) {
        String user = com.aimlib.protocol.host.HostApi.BRIDGE_USER_PREFIX + Secrets.randomAlphanumeric(32);
        String password = Secrets.randomAlphanumeric(32);
        h.createUpdate("""
                        INSERT INTO session_bridge_credentials (session_id, username, password_hash) VALUES (:s, :u, :p)
                        ON CONFLICT (session_id) DO UPDATE SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash, created_at = now()""")
                .bind("s", sessionId).bind("u", user).bind("p", Secrets.hash(password)).execute();
        return new Bridge(user, password);
    }

    /** The per-session tab cap the create answer reports and the relay enforces. */
    public int maxTabs() {
        return maxTabs;
    }

    /**
     * What POST asked for, after defaults and clamps that do not need the database; the profile is validated.
     * {@code recording}: null when the session records nothing (issue 14).
     */
    public record CreateRequest(int ttlSeconds, int idleTimeoutSeconds, boolean sticky, ObjectNode profile, String startUrl,
                                com.aimlib.gateway.recordings.RecordingSpec recording) {
        public CreateRequest(int ttlSeconds, int idleTimeoutSeconds, boolean sticky, ObjectNode profile) {
            this(ttlSeconds, idleTimeoutSeconds, sticky, profile, null, null);
        }

        public CreateRequest(int ttlSeconds, int idleTimeoutSeconds, boolean sticky, ObjectNode profile, String startUrl) {
            this(ttlSeconds, idleTimeoutSeconds, sticky, profile, startUrl, null);
        }

        public CreateRequest withRecording(com.aimlib.gateway.recordings.RecordingSpec spec) {
            return new CreateRequest(ttlSeconds, idleTimeoutSeconds, sticky, profile, startUrl, spec);
        }
    }

    /** Recordings (issue 14): the create transaction claims a session's recording through it. */
    public void recordings(com.aimlib.gateway.recordings.Recordings r) {
        this.recordings = r;
    }

    /** The session's recording claimed in the create transaction (null when it records nothing), issue 14. */
    com.aimlib.protocol.host.RecordingOrder claimRecording(Handle h, UUID customerId, UUID sessionId, CreateRequest req) {
        if (req.recording() == null) {
            return null;
        }
        if (recordings == null) {
            throw new ApiException(503, ErrorCode.CAPACITY_UNAVAILABLE, "this gateway keeps no recordings");
        }
        return recordings.claim(h, customerId, sessionId, req.recording());
    }

    public CreateRequest request(Integer ttl, Integer idleTimeout, Boolean sticky, ObjectNode profile) {
        return request(ttl, idleTimeout, sticky, profile, null);
    }

    /** {@code startUrl}: already normalised by {@link StartUrl}, or null. */
    public CreateRequest request(Integer ttl, Integer idleTimeout, Boolean sticky, ObjectNode profile, String startUrl) {
        int ceiling = settings.ttlCeilingSeconds();
        int t = ttl == null || ttl <= 0 || ttl > ceiling ? ceiling : ttl;
        int idle = idleTimeout == null || idleTimeout <= 0 ? settings.defaultIdleTimeoutSeconds() : idleTimeout;
        return new CreateRequest(t, idle, sticky != null && sticky, profile, startUrl);
    }

    record LeaseRow(UUID leaseId, Instant endsAt, String proxyUsername, byte[] proxyPasswordEnc) {
    }

    /** What the host is told after the create commits: boot a browser, or (adoption of a booted idle session) keep or restart it. */
    enum HostOrder { BOOT, RESUME, RESTART }

    record Claimed(UUID sessionId, UUID hostId, String token, String region, Instant expiresAt, BootOrder order, HostOrder hostOrder) {
        Claimed(UUID sessionId, UUID hostId, String token, String region, Instant expiresAt, BootOrder order) {
            this(sessionId, hostId, token, region, expiresAt, order, HostOrder.BOOT);
        }
    }

    /** POST /v1/devices/{id}/browser: the documented 201 body, or the documented error. */
    public BrowserSessionCreated create(UUID customerId, UUID deviceId, CreateRequest req) {
        return create(customerId, deviceId, req, SessionExtras.NONE);
    }

    /** As above, starting from a saved context and/or loading extensions (issue 14). */
    public BrowserSessionCreated create(UUID customerId, UUID deviceId, CreateRequest req, SessionExtras extras) {
        long postNanos = System.nanoTime();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Claimed c = jdbi.inTransaction(h -> claim(h, customerId, deviceId, req, extras, now));
        boolean moved = jdbi.withHandle(h -> SessionStateMachine.move(h, c.sessionId(), EnumSet.of(REQUESTED), PROVISIONING));
        if (!moved) {
            throw new ApiException(503, ErrorCode.CAPACITY_UNAVAILABLE, "session changed during provisioning, retry");
        }
        HostLink link = link(c.hostId());
        if (link != null) {
            starts.put(c.sessionId(), new StartMark(postNanos, System.nanoTime(), c.region()));
            switch (c.hostOrder()) {
                case BOOT -> link.boot(c.order(), extras.boot());
                // a running browser cannot take a saved context or extensions: those get a fresh one
                case RESUME -> {
                    if (extras.isEmpty()) {
                        link.resume(c.order());
                    } else {
                        link.restart(c.order(), extras.boot());
                    }
                }
                case RESTART -> link.restart(c.order(), extras.boot());
            }
        }
        // else: no way to reach the host (it never registered an API): the boot times out in the reaper
        log.info("session provisioning session={} device={} host={}", c.sessionId(), deviceId, c.hostId());
        return new BrowserSessionCreated(c.sessionId(), PROVISIONING.wire(), connectUrl(c.sessionId()), c.token(), c.region(),
                readyInSeconds(), null, seconds(c.expiresAt()), maxTabs);
    }

    private Claimed claim(Handle h, UUID customerId, UUID deviceId, CreateRequest req, SessionExtras extras, Instant now) {
        Map<String, Object> device = h.createQuery("SELECT name, region, COALESCE(timezone, reported_timezone) AS timezone, COALESCE(locale, reported_locale) AS locale, max_browser_sessions, monthly_cap_bytes FROM devices WHERE id = :d FOR UPDATE")
                .bind("d", deviceId).mapToMap().findOne()
                .orElseThrow(() -> ApiException.shortForm(404, "device not found"));
        h.createQuery("SELECT id FROM customers WHERE id = :c FOR UPDATE").bind("c", customerId).mapTo(UUID.class).one();
        int customerCap = h.createQuery("SELECT max_browser_sessions FROM customers WHERE id = :c").bind("c", customerId).mapTo(Integer.class).one();
        LeaseRow lease = activeLease(h, customerId, deviceId, now)
                .orElseThrow(() -> new ApiException(403, ErrorCode.LEASE_INACTIVE, "no active lease with a proxy on this device"));

        long cap = settings.sessionDataCapBytes();
        Long monthly = (Long) device.get("monthly_cap_bytes");
        if (monthly != null) {
            long used = h.createQuery("""
                            SELECT COALESCE(SUM(bytes_up + bytes_down), 0) FROM device_usage
                            WHERE device_id = :d AND month = :month""")
                    .bind("d", deviceId).bind("month", now.atOffset(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1))
                    .mapTo(Long.class).one();
            long headroom = monthly - used;
            if (headroom <= 0) {
                throw new ApiException(409, ErrorCode.DATA_CAP_EXCEEDED, "device monthly cellular cap reached");
            }
            cap = Math.min(cap, headroom);
        }
        // Playwright's browser.close() only disconnects: the booted session is idle and holds the device's slot. The
        // documentation makes an idle session the next create's to adopt; in-process hosts only (the order is a call).
        Optional<Claimed> booted = BootedAdoption.claim(h, this, customerId, deviceId, lease, device, req, extras.profile(), cap, now,
                !extras.isEmpty());
        if (booted.isPresent()) {
            recordExtras(h, booted.get().sessionId(), extras);
            return booted.get();
        }
        int deviceLive = h.createQuery("SELECT count(*) FROM browser_sessions WHERE device_id = :d AND host_id IS NOT NULL AND status IN " + LIVE_SQL)
                .bind("d", deviceId).mapTo(Integer.class).one();
        if (deviceLive >= (Integer) device.get("max_browser_sessions")) {
            throw new ApiException(429, ErrorCode.CAPACITY_UNAVAILABLE, "device session cap reached");
        }
        int customerLive = h.createQuery("SELECT count(*) FROM browser_sessions WHERE customer_id = :c AND host_id IS NOT NULL AND status IN " + LIVE_SQL)
                .bind("c", customerId).mapTo(Integer.class).one();
        if (customerLive >= customerCap) {
            throw new ApiException(429, ErrorCode.CAPACITY_UNAVAILABLE, "customer session cap reached");
        }
        String region = (String) device.get("region");
        UUID hostId = h.createQuery("""
                        SELECT h.id FROM browser_hosts h
                        WHERE h.region = :region AND h.status = 'up' AND h.last_heartbeat_at > :fresh
                          AND h.capacity > (SELECT count(*) FROM browser_sessions s WHERE s.host_id = h.id AND s.status IN """ + LIVE_SQL + """
                        )
                        ORDER BY (SELECT count(*) FROM browser_sessions s WHERE s.host_id = h.id AND s.status IN """ + LIVE_SQL + """
                        ), h.id
                        FOR UPDATE OF h""")
                .bind("region", region).bind("fresh", now.minus(settings.heartbeatTimeout()))
                .mapTo(UUID.class).list().stream().findFirst()
                .orElseThrow(() -> new ApiException(503, ErrorCode.CAPACITY_UNAVAILABLE, "no browser host capacity in region"));

        HostLink chosen = link(hostId);
        if (!extras.isEmpty() && (chosen == null || !chosen.savesState())) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the region's browser host cannot restore contexts or load extensions");
        }
        if (req.recording() != null && (chosen == null || !chosen.records())) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the region's browser host cannot record sessions");
        }
        // A saved context keeps the profile it was saved with: the site sees the same phone again.
        ObjectNode resolved = extras.profile() != null ? extras.profile().deepCopy()
                : profiles.resolve(h, hostId, region, (String) device.get("timezone"), (String) device.get("locale"), req.profile());
        String token = Secrets.randomHex(24);
        Instant expires = now.plusSeconds(req.ttlSeconds());
        if (lease.endsAt() != null && lease.endsAt().isBefore(expires)) {
            expires = lease.endsAt();
        }
        Map<String, Object> binds = new LinkedHashMap<>();
        binds.put("host", hostId);
        binds.put("hash", Secrets.hash(token));
        binds.put("ttl", req.ttlSeconds());
        binds.put("idle", req.idleTimeoutSeconds());
        binds.put("sticky", req.sticky());
        binds.put("profile", req.profile().toString());
        binds.put("resolved", resolved.toString());
        binds.put("cap", cap);
        binds.put("start", req.startUrl());
        binds.put("expires", Timestamp.from(expires));
        binds.put("now", Timestamp.from(now));
        UUID sessionId;
        Optional<Map<String, Object>> prebound = autoBrowserSession
                ? h.createQuery("SELECT id, version FROM browser_sessions WHERE lease_id = :l AND host_id IS NULL AND status = 'idle'")
                        .bind("l", lease.leaseId()).mapToMap().findOne()
                : Optional.empty();
        String set = "host_id = :host, connect_token_hash = :hash, ttl_s = :ttl, idle_timeout_s = :idle, sticky = :sticky, "
                + "profile = CAST(:profile AS jsonb), resolved_profile = CAST(:resolved AS jsonb), data_cap_bytes = :cap, expires_at = :expires, last_activity_at = :now, "
                + "boot_started_at = :now, start_url = :start";
        if (prebound.isPresent()) {
            sessionId = (UUID) prebound.get().get("id");
            binds.put("version", prebound.get().get("version"));
            boolean adopted = !SessionStateMachine.moveWhere(h, EnumSet.of(IDLE), REQUESTED,
                    "s.id = :sid AND s.host_id IS NULL AND s.version = :version", set, withId(binds, sessionId)).isEmpty();
            if (!adopted) {
                throw new ApiException(503, ErrorCode.CAPACITY_UNAVAILABLE, "session changed during provisioning, retry");
            }
        } else {
            sessionId = UUID.randomUUID();
            var u = h.createUpdate("""
                    INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, host_id, status, connect_token_hash,
                        ttl_s, idle_timeout_s, sticky, profile, resolved_profile, data_cap_bytes, expires_at, last_activity_at,
                        boot_started_at, created_at, start_url)
                    VALUES (:sid, :customer, :device, :lease, :host, 'requested', :hash, :ttl, :idle, :sticky, CAST(:profile AS jsonb),
                        CAST(:resolved AS jsonb), :cap, :expires, :now, :now, :now, :start)""")
                    .bind("customer", customerId).bind("device", deviceId).bind("lease", lease.leaseId());
            withId(binds, sessionId).forEach(u::bind);
            u.execute();
        }
        if (!extras.isEmpty()) {
            recordExtras(h, sessionId, extras);
        }
        com.aimlib.protocol.host.RecordingOrder recording = claimRecording(h, customerId, sessionId, req);
        Bridge bridge = mintBridge(h, sessionId);
        BootOrder order = new BootOrder(sessionId, (String) device.get("name"), resolved, cap,
                bridge.username(), bridge.password(), req.startUrl(), recording);
        return new Claimed(sessionId, hostId, token, region, expires, order);
    }

    /** What the session was started with (issue 14): the context a persist writes back to, the extensions it loaded. */
    private static void recordExtras(Handle h, UUID sessionId, SessionExtras extras) {
        h.createUpdate("UPDATE browser_sessions SET context_id = CAST(:ctx AS uuid), extension_ids = CAST(:ext AS uuid[]) WHERE id = :sid")
                .bind("ctx", extras.contextId()).bind("ext", extras.isEmpty() ? null : extras.extensionIds().toArray(UUID[]::new))
                .bind("sid", sessionId).execute();
    }

    private static Map<String, Object> withId(Map<String, Object> binds, UUID id) {
        Map<String, Object> m = new LinkedHashMap<>(binds);
        m.put("sid", id);
        return m;
    }

    Optional<LeaseRow> activeLease(Handle h, UUID customerId, UUID deviceId, Instant now) {
        return h.createQuery("""
                        SELECT l.id, l.ends_at, p.username, p.password_enc FROM leases l
                        JOIN proxies p ON p.lease_id = l.id AND p.status = 'active'
                        JOIN customers c ON c.id = l.customer_id AND c.status = 'active'
                        WHERE l.device_id = :d AND l.customer_id = :c AND l.status = 'active'
                          AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("d", deviceId).bind("c", customerId).bind("now", Timestamp.from(now))
                .map((rs, ctx) -> new LeaseRow(rs.getObject(1, UUID.class), ts(rs.getTimestamp(2)), rs.getString(3), rs.getBytes(4)))
                .findOne();
    }

    /** GET /v1/devices/{id}/browser. */
    public BrowserSessionBody get(UUID customerId, UUID deviceId) {
        if (autoBrowserSession) {
            jdbi.useHandle(h -> activeLease(h, customerId, deviceId, clock.instant()).ifPresent(l -> ensurePrebound(h, l.leaseId())));
        }
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("""
                        SELECT id, status, egress_ip, expires_at, started_at, resolved_profile::text AS resolved FROM browser_sessions
                        WHERE customer_id = :c AND device_id = :d AND status IN ('requested','provisioning','ready','active','idle','expiring')
                        ORDER BY created_at DESC LIMIT 1""")
                .bind("c", customerId).bind("d", deviceId).mapToMap().findOne())
                .orElseThrow(BrowserSessions::notFound);
        UUID id = (UUID) row.get("id");
        Map<String, Object> resolved = null;
        if (row.get("resolved") != null) {
            try {
                resolved = Json.MAPPER.readValue((String) row.get("resolved"), PROFILE);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return new BrowserSessionBody(id, (String) row.get("status"), connectUrl(id), (String) row.get("egress_ip"),
                seconds((Timestamp) row.get("expires_at")), seconds((Timestamp) row.get("started_at")), resolved);
    }

    private static Instant seconds(Timestamp t) {
        return t == null ? null : seconds(t.toInstant());
    }

    /** Session timestamps are shown to the second, as the customer documentation writes them. */
    private static Instant seconds(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS);
    }

    /** DELETE /v1/devices/{id}/browser: moves the session to expiring and tears it down in the background. */
    public StatusBody stop(UUID customerId, UUID deviceId) {
        List<SessionStateMachine.Moved> moved = jdbi.inTransaction(h -> SessionStateMachine.moveWhere(h, LIVE, EXPIRING,
                "s.customer_id = :c AND s.device_id = :d", EndReason.STOPPED.set(), Map.of("c", customerId, "d", deviceId)));
        if (moved.isEmpty()) {
            boolean stopping = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE customer_id = :c AND device_id = :d AND status = 'expiring'")
                    .bind("c", customerId).bind("d", deviceId).mapTo(Integer.class).one()) > 0;
            if (!stopping) {
                throw notFound();
            }
        }
        moved.forEach(m -> teardown(m.id(), m.hostId()));
        return StatusBody.STOPPING;
    }

    /**
     * A lease ended (the admin API's hook): its live sessions expire now and their browsers are torn down,
     * instead of at the reaper's next pass. Does nothing while the lease is still active. Returns how many
     * sessions moved.
     */
    public int leaseEnded(UUID leaseId) {
        List<SessionStateMachine.Moved> moved = jdbi.inTransaction(h -> SessionStateMachine.moveWhere(h, LIVE, EXPIRING,
                "s.lease_id = :lease AND EXISTS (SELECT 1 FROM leases l WHERE l.id = s.lease_id AND l.status <> 'active')",
                EndReason.LEASE_ENDED.set(), Map.of("lease", leaseId)));
        moved.forEach(m -> teardown(m.id(), m.hostId()));
        if (!moved.isEmpty()) {
            log.info("lease ended; its sessions expire lease={} sessions={}", leaseId, moved.size());
        }
        return moved.size();
    }

    /** Asks the session's host to stop its browser; a session without a host is gone at once. */
    void teardown(UUID sessionId, UUID hostId) {
        if (hostId == null) {
            jdbi.useHandle(h -> SessionStateMachine.move(h, sessionId, EnumSet.of(EXPIRING), GONE));
            return;
        }
        HostLink link = link(hostId);
        if (link != null) {
            link.stop(sessionId);
        }
        // else: a host nobody can reach; the reaper ends the session when its teardown is never confirmed
    }

    static ApiException notFound() {
        return ApiException.shortForm(404, "session_not_found");
    }

    /**
     * Makes sure an active lease with a device and a proxy has its zero-cost pre-bound idle session,
     * once: a lease that already had any session row gets none (so a stopped session stays stopped).
     * Lease creation may call this; the reaper sweeps for leases that were missed.
     */
    public void ensurePrebound(UUID leaseId) {
        if (autoBrowserSession) {
            jdbi.useHandle(h -> ensurePrebound(h, leaseId));
        }
    }

    private void ensurePrebound(Handle h, UUID leaseId) {
        h.createUpdate("""
                        INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, status, expires_at, last_activity_at)
                        SELECT :id, l.customer_id, l.device_id, l.id, 'idle', l.ends_at, :now FROM leases l
                        JOIN proxies p ON p.lease_id = l.id AND p.status = 'active'
                        WHERE l.id = :lease AND l.status = 'active'
                          AND NOT EXISTS (SELECT 1 FROM browser_sessions s WHERE s.lease_id = l.id)
                        ON CONFLICT (lease_id) WHERE host_id IS NULL AND status = 'idle' DO NOTHING""")
                .bind("id", UUID.randomUUID()).bind("lease", leaseId).bind("now", Timestamp.from(clock.instant())).execute();
    }

    /** Pre-binds every active lease that has none yet (the reaper's sweep). */
    int sweepPrebound() {
        if (!autoBrowserSession) {
            return 0;
        }
        List<UUID> leases = jdbi.withHandle(h -> h.createQuery("""
                        SELECT l.id FROM leases l JOIN proxies p ON p.lease_id = l.id AND p.status = 'active'
                        WHERE l.status = 'active' AND (l.ends_at IS NULL OR l.ends_at > :now)
                          AND NOT EXISTS (SELECT 1 FROM browser_sessions s WHERE s.lease_id = l.id)""")
                .bind("now", Timestamp.from(clock.instant())).mapTo(UUID.class).list());
        leases.forEach(this::ensurePrebound);
        return leases.size();
    }

    // ---- relay ----

    /**
     * Where the relay connects for an authorized client: the browser's CDP endpoint on its host, and the session's
     * own downloads directory there (null if the host did not report one: then no host path is allowed at all);
     * and whose it is (suspension and lease end close the relay by these).
     */
    /** {@code resolvedProfile}: the session's resolved profile as JSON text (null for a session without one). */
    public record RelayTarget(UUID sessionId, String hostAddress, int cdpPort, String cdpPath, String downloadsDir,
                              UUID leaseId, UUID customerId, String resolvedProfile, String hostApiUrl, String relaySecret) {
        public RelayTarget(UUID sessionId, String hostAddress, int cdpPort, String cdpPath, String downloadsDir,
                           UUID leaseId, UUID customerId, String resolvedProfile) {
            this(sessionId, hostAddress, cdpPort, cdpPath, downloadsDir, leaseId, customerId, resolvedProfile, null, null);
        }

        /**
         * Where a DevTools {@code path} of the session's browser is reached: on its host's loopback for an in-process
         * host; through the host's per-session relay endpoint ({@code <api>/cdp/<session><path>}, with
         * {@link #upstreamHeaders}) for a host on another machine (issue 12).
         */
        public java.net.URI upstream(boolean websocket, String path) {
            if (hostApiUrl == null) {
                return java.net.URI.create((websocket ? "ws" : "http") + "://" + hostAddress + ":" + cdpPort + path);
            }
            java.net.URI base = java.net.URI.create(hostApiUrl);
            return java.net.URI.create((websocket ? "ws" : "http") + "://" + base.getRawAuthority()
                    + com.aimlib.protocol.host.HostApi.RELAY + sessionId + path);
        }

        /** The headers the upstream must be asked with (the session's relay secret for a remote host; none otherwise). */
        public Map<String, String> upstreamHeaders() {
            return relaySecret == null ? Map.of() : Map.of(com.aimlib.protocol.host.HostApi.RELAY_SECRET_HEADER, relaySecret);
        }

        @Override
        public String toString() {
            return "RelayTarget[" + sessionId + " " + (hostApiUrl != null ? hostApiUrl : hostAddress + ":" + cdpPort) + "]";
        }
    }

    /**
     * The secret the gateway's relay presents to a remote host's relay endpoint for this session (issue 12): an HMAC of
     * the session id under a key derived from the server key, so every replica computes it and nothing is stored; the
     * host learns it from the session's boot order and accepts it for that session only.
     */
    public String relaySecret(UUID sessionId) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(relayKey, "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(sessionId.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks a relay client's session id and connect token; the documented relay error otherwise. Blocking. */
    public RelayTarget authorize(String rawId, String token) {
        return authorize(rawId, (hash, customer) -> {
            if (token == null || hash == null || !Secrets.same(hash, Secrets.hash(token))) {
                throw ApiException.unauthorized();
            }
        });
    }

    /**
     * Who may reach a session's browser, decided from its connect token's hash (null when it has none) and its
     * customer: returns to allow, throws the {@link ApiException} to answer otherwise.
     */
    @FunctionalInterface
    public interface Access {
        void check(byte[] connectTokenHash, UUID customerId);
    }

    /**
     * As {@link #authorize(String, String)} with another credential check in place of the connect token (a signed
     * live-view link, a customer's API key); then the same lease, state, TTL and host checks. Blocking.
     */
    public RelayTarget authorize(String rawId, Access access) {
        UUID id = Uuids.parseOrNull(rawId);
        if (id == null) {
            throw notFound();
        }
        UUID sid = id;
        Instant now = clock.instant();
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("""
                        SELECT s.status, s.connect_token_hash, s.expires_at, s.cdp_port, s.cdp_path, s.downloads_dir, s.host_id, s.lease_id, s.customer_id,
                               s.resolved_profile::text AS resolved,
                               hst.address, hst.api_url, hst.status AS host_status, hst.last_heartbeat_at,
                               (c.status = 'active' AND l.status = 'active' AND (l.ends_at IS NULL OR l.ends_at > :now)
                                AND EXISTS (SELECT 1 FROM proxies p WHERE p.lease_id = l.id AND p.status = 'active')) AS lease_ok
                        FROM browser_sessions s JOIN leases l ON l.id = s.lease_id JOIN customers c ON c.id = s.customer_id
                        LEFT JOIN browser_hosts hst ON hst.id = s.host_id WHERE s.id = :id""")
                .bind("id", sid).bind("now", Timestamp.from(now)).mapToMap().findOne()).orElseThrow(BrowserSessions::notFound);
        access.check((byte[]) row.get("connect_token_hash"), (UUID) row.get("customer_id"));
        if (!Boolean.TRUE.equals(row.get("lease_ok"))) {
            throw new ApiException(403, ErrorCode.LEASE_INACTIVE, "no active lease with a proxy on this device");
        }
        SessionState state = SessionState.of((String) row.get("status"));
        if (state == REQUESTED || state == PROVISIONING) {
            throw provisioning();
        }
        if (!CONNECTABLE.contains(state)) {
            throw new ApiException(410, ErrorCode.SESSION_EXPIRED, "session is " + state.wire());
        }
        Timestamp expires = (Timestamp) row.get("expires_at");
        if (expires != null && !expires.toInstant().isAfter(now)) {
            throw new ApiException(403, ErrorCode.SESSION_EXPIRED, "session TTL has passed");
        }
        Integer port = (Integer) row.get("cdp_port");
        Timestamp beat = (Timestamp) row.get("last_heartbeat_at");
        if (port == null || row.get("address") == null || !"up".equals(row.get("host_status"))
                || beat == null || beat.toInstant().isBefore(now.minus(settings.heartbeatTimeout()))) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser host is not reachable");
        }
        String api = (String) row.get("api_url");
        return new RelayTarget(sid, (String) row.get("address"), port, (String) row.get("cdp_path"), (String) row.get("downloads_dir"),
                (UUID) row.get("lease_id"), (UUID) row.get("customer_id"), (String) row.get("resolved"), api, api == null ? null : relaySecret(sid));
    }

    /**
     * The relay's root discovery (Puppeteer's {@code browserURL} form asks {@code /json/version} at the host root): the
     * session is the one whose connect token this is (tokens are 192-bit random, looked up by their SHA-256); then the
     * same checks as {@link #authorize}. An unknown token is 401, as at {@code /cdp/{id}}.
     */
    public RelayTarget authorizeByToken(String token) {
        if (token == null || token.isEmpty()) {
            throw ApiException.unauthorized();
        }
        UUID id = jdbi.withHandle(h -> h.createQuery("SELECT id FROM browser_sessions WHERE connect_token_hash = :h ORDER BY created_at DESC LIMIT 1")
                .bind("h", Secrets.hash(token)).mapTo(UUID.class).findOne()).orElseThrow(ApiException::unauthorized);
        return authorize(id.toString(), token);
    }

    static ApiException provisioning() {
        return new SessionProvisioning();
    }

    /** A relay client connected (event loop safe: the database write runs on a virtual thread). */
    public void clientConnected(UUID sessionId) {
        relayClients.computeIfAbsent(sessionId, k -> new AtomicInteger()).incrementAndGet();
        touched.put(sessionId, clock.instant());
        if (relayPresence != null) {
            syncRelayPresence(sessionId);
            return;
        }
        background(() -> syncClients(sessionId));
    }

    public void clientDisconnected(UUID sessionId) {
        AtomicInteger counter = relayClients.get(sessionId);
        if (counter != null) {
            counter.updateAndGet(n -> Math.max(0, n - 1));
        }
        touched.put(sessionId, clock.instant());
        if (relayPresence != null) {
            syncRelayPresence(sessionId);
            return;
        }
        background(() -> syncClients(sessionId));
    }

    /**
     * Brings the row in line with the session's relay clients as they are now (active with one or more, idle with
     * none). Connect and disconnect each queue one of these; they run on separate virtual threads in any order, so
     * each reads the current count under the counter's lock instead of the count when it was queued (a quick
     * connect + close used to leave a session "active" for good when the disconnect's write ran first).
     */
    private void syncClients(UUID sessionId) {
        AtomicInteger counter = relayClients.get(sessionId);
        if (counter == null) {
            return; // the session ended meanwhile
        }
        synchronized (counter) {
            int n = counter.get();
            jdbi.useHandle(h -> {
                if (n > 0) {
                    SessionStateMachine.move(h, sessionId, EnumSet.of(READY, IDLE), ACTIVE);
                } else {
                    SessionStateMachine.move(h, sessionId, EnumSet.of(ACTIVE), IDLE);
                }
                h.createUpdate("UPDATE browser_sessions SET relay_clients = :n WHERE id = :id").bind("n", n).bind("id", sessionId).execute();
            });
        }
    }

    /** Several replicas on one database: relay clients kept per replica and summed (null: this process alone). */
    private volatile com.aimlib.gateway.replicas.RelayPresence relayPresence;

    /** From now on relay client counts are written through {@code presence} (issue 12: replicas that agree). */
    public void relayPresence(com.aimlib.gateway.replicas.RelayPresence presence) {
        this.relayPresence = presence;
    }

    /** Writes this replica's current client count of the session (read when the write runs, so writes never go back in time). */
    private void syncRelayPresence(UUID sessionId) {
        com.aimlib.gateway.replicas.RelayPresence p = relayPresence;
        background(() -> {
            AtomicInteger c = relayClients.get(sessionId);
            synchronized (c == null ? relayClients : c) {
                int now = c == null ? 0 : Math.max(0, c.get());
                jdbi.useTransaction(h -> p.sync(h, sessionId, now));
            }
        });
    }

    /** Writes every relayed session's client count again (after this replica re-registered). Blocking. */
    public void resyncRelayPresence() {
        relayClients.keySet().forEach(this::syncRelayPresence);
    }

    /** Runs database work off the event loop; during shutdown it is dropped (a restarted gateway re-derives it). */
    private void background(Runnable work) {
        try {
            blocking.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    log.warn("relay client bookkeeping failed cause={}", e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("gateway shutting down; relay client bookkeeping dropped");
        }
    }

    /** Relay traffic on a session: cheap, in memory; {@link #flushActivity} writes it (throttled). */
    public void touch(UUID sessionId) {
        touched.put(sessionId, clock.instant());
    }

    /** Writes last activity (the time of the latest relay traffic) for every session touched since the last flush. */
    public void flushActivity() {
        if (touched.isEmpty()) {
            return;
        }
        List<UUID> ids = new ArrayList<>();
        List<String> times = new ArrayList<>();
        for (UUID id : List.copyOf(touched.keySet())) {
            Instant t = touched.remove(id);
            if (t != null) {
                ids.add(id);
                times.add(t.toString());
            }
        }
        jdbi.useHandle(h -> h.createUpdate("""
                        UPDATE browser_sessions b SET last_activity_at = GREATEST(b.last_activity_at, u.t)
                        FROM unnest(CAST(:ids AS uuid[]), CAST(:times AS timestamptz[])) AS u(id, t) WHERE b.id = u.id""")
                .bind("ids", ids.toArray(UUID[]::new)).bind("times", times.toArray(String[]::new)).execute());
    }

    // ---- host reports (GatewayLink) ----

    @Override
    public UUID register(String name, String region, String address, int capacity, String chromeVersion, HostLink link) {
        Instant now = clock.instant();
        UUID id = jdbi.inTransaction(h -> {
            UUID hostId = h.createQuery("""
                            INSERT INTO browser_hosts (id, name, region, address, capacity, chrome_version, status, last_heartbeat_at)
                            VALUES (:id, :name, :region, :address, :capacity, :chrome, 'up', :now)
                            ON CONFLICT (name) DO UPDATE SET region = EXCLUDED.region, address = EXCLUDED.address,
                                capacity = EXCLUDED.capacity, chrome_version = EXCLUDED.chrome_version, status = 'up',
                                last_heartbeat_at = EXCLUDED.last_heartbeat_at, api_url = NULL, api_secret_enc = NULL
                            RETURNING id""")
                    .bind("id", UUID.randomUUID()).bind("name", name).bind("region", region).bind("address", address)
                    .bind("capacity", capacity).bind("chrome", chromeVersion).bind("now", Timestamp.from(now)).mapTo(UUID.class).one();
            forgetSessions(h, hostId);
            return hostId;
        });
        hosts.put(id, link);
        log.info("browser host registered host={} name={} region={} capacity={} chrome={}", id, name, region, capacity, chromeVersion);
        return id;
    }

    /** A host that (re)registers runs no browsers: whatever it had before is gone. */
    private static void forgetSessions(Handle h, UUID hostId) {
        List<SessionStateMachine.Moved> failed = SessionStateMachine.moveWhere(h, LIVE, FAILED,
                "s.host_id = :host", "failure_reason = 'host restarted'", Map.of("host", hostId));
        SessionStateMachine.moveWhere(h, EnumSet.of(EXPIRING), GONE, "s.host_id = :host", null, Map.of("host", hostId));
        if (!failed.isEmpty()) {
            log.warn("host re-registered; its sessions failed host={} sessions={}", hostId, failed.size());
        }
    }

    /**
     * Registers a host on another machine (issue 12) under the id of its credential: its API base URL and the sealed
     * secret the gateway presents to it; its earlier sessions are failed. Every replica builds its link from this row.
     */
    public void registerRemote(UUID hostId, String region, String apiUrl, int capacity, String chromeVersion, byte[] apiSecretEnc) {
        Instant now = clock.instant();
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                            UPDATE browser_hosts SET region = :region, address = :address, api_url = :api, api_secret_enc = :secret,
                                capacity = :capacity, chrome_version = :chrome, status = 'up', last_heartbeat_at = :now WHERE id = :id""")
                    .bind("region", region).bind("address", java.net.URI.create(apiUrl).getHost()).bind("api", apiUrl)
                    .bind("secret", apiSecretEnc).bind("capacity", capacity).bind("chrome", chromeVersion)
                    .bind("now", Timestamp.from(now)).bind("id", hostId).execute();
            forgetSessions(h, hostId);
        });
        log.info("remote browser host registered host={} region={} capacity={} chrome={} api={}", hostId, region, capacity, chromeVersion, apiUrl);
    }

    /**
     * A host's credential was revoked (issue 12): the host is down, its live sessions failed and their browsers told
     * to stop (while its API secret is still known), then the secret is forgotten. Returns the sessions failed.
     */
    public int hostRevoked(UUID hostId) {
        HostLink link = link(hostId);
        List<SessionStateMachine.Moved> failed = jdbi.inTransaction(h -> {
            h.createUpdate("UPDATE browser_hosts SET status = 'down' WHERE id = :id").bind("id", hostId).execute();
            List<SessionStateMachine.Moved> moved = SessionStateMachine.moveWhere(h, LIVE, FAILED, "s.host_id = :host",
                    "failure_reason = 'host credential revoked'", Map.of("host", hostId));
            SessionStateMachine.moveWhere(h, EnumSet.of(EXPIRING), GONE, "s.host_id = :host", null, Map.of("host", hostId));
            return moved;
        });
        if (link != null) {
            failed.forEach(m -> link.stop(m.id()));
        }
        jdbi.useHandle(h -> h.createUpdate("UPDATE browser_hosts SET api_secret_enc = NULL, api_url = NULL WHERE id = :id").bind("id", hostId).execute());
        return failed.size();
    }

    /** Whether the session is placed on the host (a host credential reaches only its own sessions). Blocking. */
    public boolean placedOn(UUID sessionId, UUID hostId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE id = :s AND host_id = :h")
                .bind("s", sessionId).bind("h", hostId).mapTo(Integer.class).one()) > 0;
    }

    /** Forgets an in-process host link (the host is shutting down). */
    public void unregister(UUID hostId) {
        hosts.remove(hostId);
        jdbi.useHandle(h -> h.createUpdate("UPDATE browser_hosts SET status = 'down' WHERE id = :id").bind("id", hostId).execute());
    }

    @Override
    public void heartbeat(UUID hostId) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE browser_hosts SET last_heartbeat_at = :now, status = 'up' WHERE id = :id")
                .bind("now", Timestamp.from(clock.instant())).bind("id", hostId).execute());
    }

    @Override
    public void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long boot, String downloadsDir) {
        ready(sessionId, cdpPort, cdpPath, egressIp, resolvedProfile, boot, downloadsDir, null);
    }

    @Override
    public void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long boot, String downloadsDir,
                      com.aimlib.protocol.host.StartPhases phases) {
        ready(sessionId, cdpPort, cdpPath, egressIp, resolvedProfile, boot, downloadsDir, phases, false);
    }

    /** This gateway's relay holds clients until the identity is in effect ({@link #awaitIdentity}): hosts may report ready first. */
    @Override
    public boolean holdsClientsUntilIdentity() {
        return true;
    }

    @Override
    public void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long boot, String downloadsDir,
                      com.aimlib.protocol.host.StartPhases phases, boolean pending) {
        long reportNanos = System.nanoTime();
        Instant now = clock.instant();
        if (pending) {
            // Before the row says ready: a client of this replica that sees ready finds the future to wait on. A remote
            // host's identity-applied may go to another replica and never complete it: such leftovers are dropped
            // after two minutes (the row is what counts; the future only saves a waiter the polling).
            long at = System.nanoTime();
            if (identityPending.size() > 64) {
                identityPending.values().removeIf(p -> p.signal().isDone() || at - p.since() > 120_000_000_000L);
            }
            identityPending.putIfAbsent(sessionId, new PendingIdentity(new java.util.concurrent.CompletableFuture<>(), at));
        }
        boolean ok = jdbi.withHandle(h -> SessionStateMachine.move(h, sessionId, EnumSet.of(PROVISIONING), READY,
                "cdp_port = :port, cdp_path = :path, downloads_dir = :downloads, egress_ip = COALESCE(:egress, (SELECT current_egress_ip FROM devices d WHERE d.id = b.device_id)), "
                        + "resolved_profile = COALESCE(b.resolved_profile, CAST(:resolved AS jsonb)), started_at = :now, ready_at = :now, last_activity_at = :now, "
                        + "identity_pending = :pending",
                mapOf("port", cdpPort, "path", cdpPath, "downloads", downloadsDir, "egress", egressIp, "resolved", resolvedProfile.toString(),
                        "now", Timestamp.from(now), "pending", pending)));
        if (!ok) {
            identityDone(sessionId);
        }
        synchronized (bootMillis) {
            if (boot >= 0) { // a resumed browser (adoption) reports -1: no boot to measure
                bootMillis.addLast(boot);
            }
            while (bootMillis.size() > 20) {
                bootMillis.removeFirst();
            }
        }
        long reported = System.nanoTime() - reportNanos;
        StartMark mark = starts.remove(sessionId);
        if (ok && phases != null) {
            recordStart(sessionId, mark, phases, reported);
        }
        if (!ok) {
            // Stopped or expired while it booted: the browser must not outlive its session.
            log.info("session no longer wanted at ready; stopping session={}", sessionId);
            UUID host = jdbi.withHandle(h -> h.createQuery("SELECT host_id FROM browser_sessions WHERE id = :id").bind("id", sessionId)
                    .mapTo(UUID.class).findOne().orElse(null));
            HostLink link = link(host);
            if (link != null) {
                link.stop(sessionId);
            }
            return;
        }
        log.info("session ready session={} boot_ms={}", sessionId, boot);
    }

    /**
     * The session's start breakdown: the gateway's {@code queue_claim} (POST handler → boot order handed to the host),
     * the host's phases, and {@code ready_report} (the host's report → ready committed), each measured on its own; the
     * total POST → ready is measured separately, end to end (for a host in another process: from
     * {@code boot_started_at}, and {@code queue_claim} then is the rest, the order's trip through the database
     * included). Stored for the operator's view and recorded in the start-time histograms, after ready is committed:
     * off the critical path.
     */
    private void recordStart(UUID sessionId, StartMark mark, com.aimlib.protocol.host.StartPhases phases, long reportNanos) {
        try {
            long hostNanos = phases.nanos().values().stream().mapToLong(Long::longValue).sum();
            long total;
            long queue;
            String region;
            if (mark != null) {
                total = System.nanoTime() - mark.postNanos();
                queue = mark.dispatchedNanos() - mark.postNanos();
                region = mark.region();
            } else {
                Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("""
                                SELECT (EXTRACT(EPOCH FROM (:now - b.boot_started_at)) * 1e9)::bigint AS total_ns, d.region
                                FROM browser_sessions b JOIN devices d ON d.id = b.device_id WHERE b.id = :id""")
                        .bind("id", sessionId).bind("now", Timestamp.from(clock.instant())).mapToMap().findOne().orElse(Map.of()));
                total = row.get("total_ns") == null ? 0 : ((Number) row.get("total_ns")).longValue();
                queue = Math.max(0, total - hostNanos - reportNanos);
                region = (String) row.getOrDefault("region", "unknown");
            }
            Map<String, Long> all = new LinkedHashMap<>();
            all.put(com.aimlib.protocol.host.StartPhases.QUEUE_CLAIM, queue);
            all.putAll(phases.nanos());
            all.put(com.aimlib.protocol.host.StartPhases.READY_REPORT, reportNanos);
            ObjectNode json = Json.MAPPER.createObjectNode();
            json.put("pool_hit", phases.poolHit());
            json.put("region", region);
            json.put("total_ms", total / 1e6);
            ObjectNode ms = json.putObject("phases_ms");
            all.forEach((k, v) -> ms.put(k, v / 1e6));
            jdbi.useHandle(h -> h.createUpdate("UPDATE browser_sessions SET start_phases = CAST(:p AS jsonb) WHERE id = :id")
                    .bind("p", json.toString()).bind("id", sessionId).execute());
            startMeters.record(region == null ? "unknown" : region, phases.poolHit(), all, total);
        } catch (RuntimeException e) {
            log.warn("start breakdown not recorded session={} cause={}", sessionId, e.toString());
        }
    }

    /** The egress IP seen through the session's bridge after ready (null: the check failed, nothing changes). */
    @Override
    public void egressVerified(UUID sessionId, String egressIp) {
        startMeters.egressCheck(egressIp != null);
        if (egressIp == null) {
            return;
        }
        jdbi.useHandle(h -> h.createUpdate("""
                        UPDATE browser_sessions SET egress_ip = :ip, egress_verified_at = :now
                        WHERE id = :id AND status IN ('ready','active','idle')""")
                .bind("ip", egressIp).bind("now", Timestamp.from(clock.instant())).bind("id", sessionId).execute());
    }

    @Override
    public void identityApplied(UUID sessionId, com.aimlib.protocol.host.StartPhases phases) {
        try {
            jdbi.useHandle(h -> h.createUpdate("UPDATE browser_sessions SET identity_pending = false WHERE id = :id AND identity_pending")
                    .bind("id", sessionId).execute());
        } finally {
            identityDone(sessionId);
        }
        recordAfterReady(sessionId, phases);
    }

    private void identityDone(UUID sessionId) {
        PendingIdentity p = identityPending.remove(sessionId);
        if (p != null) {
            p.signal().complete(null);
        }
    }

    /**
     * Holds a relay client of the session until its identity is in effect (issue 10): at once when it is (the usual case
     * by the time a client connected), else on this replica's own signal or, for a session another replica's host
     * reported, by reading the row every 20 ms. Blocking (a virtual thread). 503 {@code host_unavailable}
     * when it is not in effect within {@code max}; returns when the session left the live states (the relay's own
     * checks answer that).
     */
    public void awaitIdentity(UUID sessionId, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            // This replica's own signal when its host link took the report; the row in any case: the ready and the
            // identity-applied reports of a remote host may reach different replicas (seen in the topology test).
            PendingIdentity local = identityPending.get(sessionId);
            if (local != null) {
                try {
                    local.signal().get(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // read the row below
                }
            }
            Boolean pending = jdbi.withHandle(h -> h.createQuery(
                            "SELECT identity_pending AND status IN ('ready','active','idle') FROM browser_sessions WHERE id = :id")
                    .bind("id", sessionId).mapTo(Boolean.class).findOne().orElse(false));
            if (!Boolean.TRUE.equals(pending)) {
                identityDone(sessionId); // a signal that went to another replica: forget ours
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser is not ready for clients yet; retry");
            }
            if (local == null) {
                Thread.sleep(20); // the same pace as a wait on the local signal: one row read per 20 ms per held client
            }
        }
    }

    /** The phases after a ready with the identity pending: kept beside the start's breakdown and in the histograms. */
    private void recordAfterReady(UUID sessionId, com.aimlib.protocol.host.StartPhases phases) {
        if (phases == null || phases.nanos().isEmpty()) {
            return;
        }
        try {
            ObjectNode ms = Json.MAPPER.createObjectNode();
            phases.nanos().forEach((k, v) -> ms.put(k, v / 1e6));
            String region = jdbi.withHandle(h -> {
                h.createUpdate("""
                                UPDATE browser_sessions SET start_phases = jsonb_set(COALESCE(start_phases, '{}'::jsonb), '{after_ready_ms}', CAST(:p AS jsonb))
                                WHERE id = :id""").bind("p", ms.toString()).bind("id", sessionId).execute();
                return h.createQuery("SELECT d.region FROM browser_sessions b JOIN devices d ON d.id = b.device_id WHERE b.id = :id")
                        .bind("id", sessionId).mapTo(String.class).findOne().orElse("unknown");
            });
            startMeters.recordPhases(region, phases.poolHit(), phases.nanos());
        } catch (RuntimeException e) {
            log.warn("after-ready phases not recorded session={} cause={}", sessionId, e.toString());
        }
    }

    @Override
    public void failed(UUID sessionId, String reason) {
        starts.remove(sessionId);
        identityDone(sessionId);
        boolean moved = jdbi.withHandle(h -> SessionStateMachine.move(h, sessionId, EnumSet.of(REQUESTED, PROVISIONING, READY, ACTIVE, IDLE, EXPIRING), FAILED,
                "failure_reason = :reason", Map.of("reason", reason)));
        relayClients.remove(sessionId);
        if (moved) {
            log.warn("session failed session={} reason={}", sessionId, reason);
        }
    }

    @Override
    public void stopped(UUID sessionId) {
        identityDone(sessionId);
        jdbi.useHandle(h -> {
            if (!SessionStateMachine.move(h, sessionId, EnumSet.of(EXPIRING), GONE)) {
                SessionStateMachine.move(h, sessionId, LIVE, FAILED, "failure_reason = 'browser stopped by its host'", Map.of());
            }
        });
        relayClients.remove(sessionId);
    }

    @Override
    public void bytes(UUID sessionId, long total) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE browser_sessions SET bytes_used = GREATEST(bytes_used, :t) WHERE id = :id")
                .bind("t", total).bind("id", sessionId).execute());
    }

    HostLink host(UUID hostId) {
        return link(hostId);
    }

    /** Rolling median of the last 20 measured boots, rounded up to whole seconds, at least 1. */
    int readyInSeconds() {
        long[] sample;
        synchronized (bootMillis) {
            sample = bootMillis.stream().mapToLong(Long::longValue).toArray();
        }
        if (sample.length == 0) {
            return settings.defaultReadyInSeconds();
        }
        Arrays.sort(sample);
        long median = sample[sample.length / 2];
        return (int) Math.max(1, (median + 999) / 1000);
    }

    String connectUrl(UUID id) {
        return wsBase.get() + "/cdp/" + id;
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    static Map<String, Object> mapOf(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
