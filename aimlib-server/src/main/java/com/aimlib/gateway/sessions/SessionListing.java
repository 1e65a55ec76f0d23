package com.aimlib.gateway.sessions;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.protocol.SessionInfoBody;
import com.aimlib.protocol.SessionPageBody;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;

/**
 * The customer's sessions across devices (issue 14, an extension of the documented contract):
 * <ul>
 *   <li>{@code GET /v1/sessions?status=&limit=&cursor=} (proxies.read) — newest first, cursor-paginated</li>
 *   <li>{@code GET /v1/sessions/{id}} (proxies.read) — one session, also after it ended, for the retention period</li>
 * </ul>
 * Only the caller's own sessions exist here: another customer's id is 404 {@code session_not_found}. The zero-cost
 * pre-bound rows (no host, no token, no browser) are not sessions anyone started and are not listed; neither is a
 * session that ended longer ago than the retention period (default 7 days).
 */
public final class SessionListing {
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 100;
    /** What {@code ?status=} defaults to: every session that has not ended yet. */
    static final Set<SessionState> LIVE_DEFAULT = EnumSet.of(SessionState.REQUESTED, SessionState.PROVISIONING, SessionState.READY,
            SessionState.ACTIVE, SessionState.IDLE, SessionState.EXPIRING);
    private static final Set<SessionState> ENDED = EnumSet.of(SessionState.GONE, SessionState.FAILED);
    private static final String COLUMNS = """
            s.id, s.device_id, s.status, s.egress_ip, s.bytes_used, s.created_at, s.started_at, s.expires_at, s.ended_at,
            COALESCE(s.end_reason, s.failure_reason) AS end_reason, s.start_url""";
    /** Not a pre-bound placeholder, and not ended before the retention horizon. */
    private static final String VISIBLE = """
            NOT (s.host_id IS NULL AND s.connect_token_hash IS NULL)
            AND (s.ended_at IS NULL OR s.ended_at > :horizon)""";

    private final Jdbi jdbi;
    private final Clock clock;
    private final Duration retention;
    private final Function<UUID, String> connectUrl;

    public SessionListing(Jdbi jdbi, Clock clock, Duration retention, Function<UUID, String> connectUrl) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.retention = retention;
        this.connectUrl = connectUrl;
    }

    public static SessionListing of(BrowserSessions sessions, Duration retention) {
        return new SessionListing(sessions.jdbi(), sessions.clock(), retention, sessions::connectUrl);
    }

    public void register(Router router, ApiKeyAuth auth) {
        router.get("/v1/sessions", auth.customer("proxies.read", r -> Response.ok(list(customer(r), r.queryParam("status"),
                r.queryParam("limit"), r.queryParam("cursor")))));
        router.get("/v1/sessions/{id}", auth.customer("proxies.read", r -> Response.ok(get(customer(r), r.uuidParam("id")))));
    }

    private static UUID customer(Request r) {
        return r.principal(CustomerPrincipal.class).customerId();
    }

    /** One session of the customer's, or the documented 404. */
    public SessionInfoBody get(UUID customerId, UUID sessionId) {
        Instant now = clock.instant();
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM browser_sessions s WHERE s.id = :id AND s.customer_id = :c AND " + VISIBLE)
                        .bind("id", sessionId).bind("c", customerId).bind("horizon", Timestamp.from(now.minus(retention)))
                        .map((rs, ctx) -> row(rs, now).body()).findOne())
                .orElseThrow(BrowserSessions::notFound);
    }

    /** A page of the customer's sessions in the given states, newest first. */
    public SessionPageBody list(UUID customerId, String statusParam, String limitParam, String cursorParam) {
        Set<SessionState> states = states(statusParam);
        int limit = limit(limitParam);
        Cursor after = cursorParam == null || cursorParam.isEmpty() ? null : Cursor.parse(cursorParam);
        Instant now = clock.instant();
        String in = states.stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(","));
        List<Row> rows = jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT " + COLUMNS + " FROM browser_sessions s WHERE s.customer_id = :c AND s.status IN (" + in + ") AND "
                            + VISIBLE + (after == null ? "" : " AND (s.created_at, s.id) < (:at, :after)")
                            + " ORDER BY s.created_at DESC, s.id DESC LIMIT :n")
                    .bind("c", customerId).bind("horizon", Timestamp.from(now.minus(retention))).bind("n", limit + 1);
            if (after != null) {
                q.bind("at", Timestamp.from(after.createdAt())).bind("after", after.id());
            }
            return q.map((rs, ctx) -> row(rs, now)).list();
        });
        String next = null;
        if (rows.size() > limit) {
            rows = rows.subList(0, limit);
            Row last = rows.get(limit - 1);
            next = new Cursor(last.created(), last.body().sessionId()).encode();
        }
        return new SessionPageBody(rows.stream().map(Row::body).toList(), next);
    }

    /** A body and its row's exact creation time (the body shows it to the millisecond; the cursor needs microseconds). */
    private record Row(Instant created, SessionInfoBody body) {
    }

    private Row row(ResultSet rs, Instant now) throws SQLException {
        UUID id = rs.getObject("id", UUID.class);
        Instant created = ts(rs.getTimestamp("created_at"));
        Instant started = ts(rs.getTimestamp("started_at"));
        Instant ended = ts(rs.getTimestamp("ended_at"));
        Instant from = started != null ? started : created;
        Long duration = from == null ? null : Math.max(0, Duration.between(from, ended != null ? ended : now).toSeconds());
        String status = rs.getString("status");
        return new Row(created, new SessionInfoBody(id, rs.getObject("device_id", UUID.class), status, connectUrl.apply(id),
                rs.getString("egress_ip"), rs.getLong("bytes_used"), millis(created), seconds(started), seconds(ts(rs.getTimestamp("expires_at"))),
                seconds(ended), ENDED.contains(SessionState.of(status)) || status.equals("expiring") ? rs.getString("end_reason") : null,
                duration, rs.getString("start_url")));
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static Instant seconds(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS);
    }

    private static Instant millis(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * {@code ?status=}: absent → every live state (and expiring); {@code all}; {@code ended} (gone, failed); or a
     * comma-separated list of states.
     */
    static Set<SessionState> states(String param) {
        if (param == null || param.isBlank()) {
            return LIVE_DEFAULT;
        }
        Set<SessionState> out = new LinkedHashSet<>();
        for (String raw : param.split(",", -1)) {
            String s = raw.trim().toLowerCase(Locale.ROOT);
            switch (s) {
                case "all" -> out.addAll(EnumSet.allOf(SessionState.class));
                case "live" -> out.addAll(LIVE_DEFAULT);
                case "ended" -> out.addAll(ENDED);
                default -> {
                    try {
                        out.add(SessionState.of(s));
                    } catch (IllegalArgumentException e) {
                        throw ApiException.badRequest("status must be a comma-separated list of live, ended, all, requested, provisioning, "
                                + "ready, active, idle, expiring, gone, failed");
                    }
                }
            }
        }
        return out;
    }

    static int limit(String param) {
        if (param == null || param.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(param.trim());
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the same answer as out of range
        }
        throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT);
    }

    /** Where the previous page ended: an opaque base64url token of the last row's creation time and id. */
    record Cursor(Instant createdAt, UUID id) {
        String encode() {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
            return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + id).getBytes(StandardCharsets.US_ASCII));
        }

        static Cursor parse(String raw) {
            try {
                String s = new String(Base64.getUrlDecoder().decode(raw), StandardCharsets.US_ASCII);
                int colon = s.indexOf(':');
                long micros = Long.parseLong(s.substring(0, colon));
                return new Cursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), UUID.fromString(s.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw ApiException.badRequest("cursor is not one this endpoint returned");
            }
        }
    }
}
