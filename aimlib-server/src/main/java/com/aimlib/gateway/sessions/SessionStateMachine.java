package com.aimlib.gateway.sessions;

import static com.aimlib.gateway.sessions.SessionState.*;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * The whole session lifecycle: which moves are legal, and the only code that changes
 * {@code browser_sessions.status}. Every move is a guarded {@code UPDATE … WHERE status IN (from…)}, so
 * two actors racing on one row (reaper, relay, host report, customer) cannot both win.
 *
 * <pre>
 * idle (pre-bound, no host) ─adopt→ requested → provisioning → ready ⇄ active ⇄ idle
 *                      any live state → expiring → gone;  any live state → failed
 * </pre>
 */
public final class SessionStateMachine {
    private static final Map<SessionState, Set<SessionState>> LEGAL = new EnumMap<>(SessionState.class);

    static {
        LEGAL.put(REQUESTED, EnumSet.of(PROVISIONING, EXPIRING, FAILED));
        LEGAL.put(PROVISIONING, EnumSet.of(READY, EXPIRING, FAILED));
        LEGAL.put(READY, EnumSet.of(ACTIVE, IDLE, EXPIRING, FAILED));
        LEGAL.put(ACTIVE, EnumSet.of(IDLE, EXPIRING, FAILED));
        LEGAL.put(IDLE, EnumSet.of(REQUESTED, ACTIVE, EXPIRING, FAILED));
        LEGAL.put(EXPIRING, EnumSet.of(GONE, FAILED));
        LEGAL.put(GONE, EnumSet.noneOf(SessionState.class));
        LEGAL.put(FAILED, EnumSet.noneOf(SessionState.class));
    }

    private SessionStateMachine() {
    }

    public static boolean legal(SessionState from, SessionState to) {
        return LEGAL.get(from).contains(to);
    }

    /** One row moved by a bulk transition. */
    public record Moved(UUID id, UUID hostId, SessionState from) {
    }

    /**
     * Moves one session from any of {@code from} to {@code to}, setting the extra columns in {@code set}
     * (a SQL assignment list with named binds). Returns false when the row was not in one of {@code from}.
     */
    public static boolean move(Handle h, UUID id, Set<SessionState> from, SessionState to, String set, Map<String, ?> binds) {
        return !moveWhere(h, from, to, "id = :id", set, merge(binds, Map.of("id", id))).isEmpty();
    }

    public static boolean move(Handle h, UUID id, Set<SessionState> from, SessionState to) {
        return move(h, id, from, to, null, Map.of());
    }

    /**
     * Moves every row matching {@code where} (over columns of {@code browser_sessions s}) and one of {@code from}.
     * The rows are locked and re-checked first (SELECT … FOR UPDATE sees a concurrent transition that committed
     * while it waited); the UPDATE then joins on the id alone: it reads the rows as of the statement's start, so
     * also matching the status there would skip a row another transaction moved meanwhile (active → idle, say).
     */
    public static List<Moved> moveWhere(Handle h, Set<SessionState> from, SessionState to, String where, String set, Map<String, ?> binds) {
        for (SessionState f : from) {
            if (!legal(f, to)) {
                throw new IllegalStateException("illegal session move " + f + " -> " + to);
            }
        }
        String fromList = from.stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(","));
        String sql = "WITH old AS (SELECT id, status FROM browser_sessions s WHERE status IN (" + fromList + ") AND (" + where + ") FOR UPDATE) "
                + "UPDATE browser_sessions b SET status = :to_state, version = b.version + 1"
                + (to == GONE || to == FAILED ? ", ended_at = COALESCE(b.ended_at, now())" : "")
                + (set == null || set.isBlank() ? "" : ", " + set)
                + " FROM old WHERE b.id = old.id RETURNING b.id, b.host_id, old.status AS old_status";
        Query q = h.createQuery(sql).bind("to_state", to.wire());
        binds.forEach(q::bind);
        List<Moved> out = new ArrayList<>();
        q.map((rs, ctx) -> new Moved(rs.getObject("id", UUID.class), rs.getObject("host_id", UUID.class), SessionState.of(rs.getString("old_status"))))
                .forEach(out::add);
        return out;
    }

    private static Map<String, Object> merge(Map<String, ?> a, Map<String, ?> b) {
        Map<String, Object> m = new java.util.HashMap<>(a);
        m.putAll(b);
        return m;
    }
}
