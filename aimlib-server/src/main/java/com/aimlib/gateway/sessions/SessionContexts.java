package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import static com.aimlib.gateway.sessions.SessionState.*;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.protocol.host.SavedState;
import com.aimlib.protocol.ContextBody;
import com.aimlib.protocol.PersistedStopBody;
import com.aimlib.protocol.StatusBody;
import com.aimlib.store.SecretBox;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saved logins (issue 14): a running session's cookies and origin storage saved under a named context — on demand,
 * or at stop with {@code persist} — sealed with AES-256-GCM under the server key (bound to the row's id and
 * customer) with the resolved profile it was saved with, at most {@code maxBytes} packed; and opened again for a
 * session created with {@code context_id}. A context is only ever visible to its customer.
 */
public final class SessionContexts {
    private static final Logger log = LoggerFactory.getLogger(SessionContexts.class);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final String COLUMNS = "id, name, size_bytes, source_session_id, resolved_profile::text AS resolved, created_at, updated_at";

    private final BrowserSessions sessions;
    private final Jdbi jdbi;
    private final SecretBox box;
    private final long maxBytes;

    public SessionContexts(BrowserSessions sessions, SecretBox box, long maxBytes) {
        this.sessions = sessions;
        this.jdbi = sessions.jdbi();
        this.box = box;
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Where a save goes: an existing context of the caller's ({@code contextId}), or a new one named {@code name}. */
    public record SaveRequest(String name, UUID contextId) {
    }

    /** A context opened for a new session: its profile and its plaintext state (never logged). */
    public record Opened(UUID id, ObjectNode resolvedProfile, byte[] state) {
        @Override
        public String toString() {
            return "Opened[" + id + "]";
        }
    }

    public List<ContextBody> list(UUID customerId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM browser_contexts WHERE customer_id = :c ORDER BY created_at, id")
                .bind("c", customerId).map((rs, ctx) -> body(rs)).list());
    }

    public ContextBody get(UUID customerId, UUID id) {
        return find(customerId, id).orElseThrow(SessionContexts::notFound);
    }

    private Optional<ContextBody> find(UUID customerId, UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM browser_contexts WHERE customer_id = :c AND id = :id")
                .bind("c", customerId).bind("id", id).map((rs, ctx) -> body(rs)).findOne());
    }

    public void delete(UUID customerId, UUID id) {
        int n = jdbi.withHandle(h -> h.createUpdate("DELETE FROM browser_contexts WHERE customer_id = :c AND id = :id")
                .bind("c", customerId).bind("id", id).execute());
        if (n == 0) {
            throw notFound();
        }
    }

    /** The caller's context, opened; 404 for an unknown id or another customer's. */
    public Opened open(UUID customerId, UUID id) {
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery(
                        "SELECT resolved_profile::text AS resolved, state_enc FROM browser_contexts WHERE customer_id = :c AND id = :id")
                .bind("c", customerId).bind("id", id).mapToMap().findOne()).orElseThrow(SessionContexts::notFound);
        try {
            ObjectNode profile = (ObjectNode) Json.MAPPER.readTree((String) row.get("resolved"));
            return new Opened(id, profile, box.open((byte[]) row.get("state_enc"), aad(id, customerId)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code POST /v1/sessions/{id}/context}: saves the running session's state now; the session goes on. */
    public ContextBody saveNow(UUID customerId, UUID sessionId, SaveRequest req) {
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("""
                        SELECT status, host_id, resolved_profile::text AS resolved, context_id FROM browser_sessions
                        WHERE id = :id AND customer_id = :c""")
                .bind("id", sessionId).bind("c", customerId).mapToMap().findOne()).orElseThrow(BrowserSessions::notFound);
        SessionState state = SessionState.of((String) row.get("status"));
        if (!CONNECTABLE.contains(state) || row.get("host_id") == null) {
            throw new ApiException(409, ErrorCode.CONFLICT, "the session is " + state.wire() + "; only a running session can be saved");
        }
        HostLink link = link((UUID) row.get("host_id"));
        byte[] state_;
        try {
            state_ = link.saveState(sessionId, false, maxBytes);
        } catch (SavedState.TooLarge e) {
            throw tooLarge("nothing was saved; the session goes on");
        } catch (IOException e) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser could not be read");
        }
        return store(customerId, sessionId, (String) row.get("resolved"), (UUID) row.get("context_id"), req, state_);
    }

    /**
     * {@code DELETE /v1/devices/{id}/browser} with {@code persist}: the running session stops, its browser closes
     * cleanly, its state is saved, and only then is the answer sent (so the context can be used at once).
     */
    public PersistedStopBody stopAndSave(UUID customerId, UUID deviceId, SaveRequest req) {
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("""
                        SELECT id, status, host_id, resolved_profile::text AS resolved, context_id FROM browser_sessions
                        WHERE customer_id = :c AND device_id = :d AND host_id IS NOT NULL AND status IN ('ready','active','idle')
                        ORDER BY created_at DESC LIMIT 1""")
                .bind("c", customerId).bind("d", deviceId).mapToMap().findOne()).orElse(null);
        if (row == null) {
            sessions.stop(customerId, deviceId); // 404 when there is nothing at all; a booting session just stops
            throw new ApiException(409, ErrorCode.CONFLICT, "the session was not running yet; it is stopping and nothing was saved");
        }
        UUID sessionId = (UUID) row.get("id");
        UUID hostId = (UUID) row.get("host_id");
        HostLink link = link(hostId);
        boolean moved = jdbi.inTransaction(h -> !SessionStateMachine.moveWhere(h, CONNECTABLE, EXPIRING, "s.id = :id", null,
                Map.of("id", sessionId)).isEmpty());
        if (!moved) {
            throw BrowserSessions.notFound();
        }
        byte[] state;
        try {
            state = link.saveState(sessionId, true, maxBytes);
        } catch (SavedState.TooLarge e) {
            stopRest(customerId, deviceId);
            throw tooLarge("the session was stopped and nothing was saved");
        } catch (IOException e) {
            link.stop(sessionId);
            stopRest(customerId, deviceId);
            log.warn("context save at stop failed session={} cause={}", sessionId, e.toString());
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser could not be saved; it was stopped");
        }
        ContextBody saved = store(customerId, sessionId, (String) row.get("resolved"), (UUID) row.get("context_id"), req, state);
        stopRest(customerId, deviceId);
        return new PersistedStopBody(StatusBody.STOPPING.status(), saved.id());
    }

    /** The documented DELETE for whatever else runs on the device (a cap above one). */
    private void stopRest(UUID customerId, UUID deviceId) {
        try {
            sessions.stop(customerId, deviceId);
        } catch (ApiException e) {
            // nothing else was live
        }
    }

    private HostLink link(UUID hostId) {
        HostLink link = sessions.host(hostId);
        if (link == null || !link.savesState()) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser host cannot save contexts");
        }
        return link;
    }

    private ContextBody store(UUID customerId, UUID sessionId, String resolved, UUID startedFrom, SaveRequest req, byte[] state) {
        Instant now = sessions.clock().instant();
        UUID target = req.contextId() != null ? req.contextId() : req.name() == null ? startedFrom : null;
        UUID id = jdbi.inTransaction(h -> {
            if (target != null) {
                int n = h.createUpdate("""
                                UPDATE browser_contexts SET state_enc = :state, size_bytes = :size, resolved_profile = CAST(:resolved AS jsonb),
                                    source_session_id = :sid, updated_at = :now, name = COALESCE(:name, name)
                                WHERE id = :id AND customer_id = :c""")
                        .bind("state", box.seal(state, aad(target, customerId))).bind("size", (long) state.length).bind("resolved", resolved)
                        .bind("sid", sessionId).bind("now", Timestamp.from(now)).bind("name", req.name()).bind("id", target)
                        .bind("c", customerId).execute();
                if (n == 1) {
                    return target;
                }
                if (req.contextId() != null) {
                    throw notFound();
                }
                // the context the session started from was deleted meanwhile: save a new one
            }
            UUID fresh = UUID.randomUUID();
            String name = req.name() != null ? req.name() : "session " + sessionId.toString().substring(0, 8);
            h.createUpdate("""
                            INSERT INTO browser_contexts (id, customer_id, name, resolved_profile, state_enc, size_bytes, source_session_id, created_at, updated_at)
                            VALUES (:id, :c, :name, CAST(:resolved AS jsonb), :state, :size, :sid, :now, :now)""")
                    .bind("id", fresh).bind("c", customerId).bind("name", name).bind("resolved", resolved)
                    .bind("state", box.seal(state, aad(fresh, customerId))).bind("size", (long) state.length).bind("sid", sessionId)
                    .bind("now", Timestamp.from(now)).execute();
            return fresh;
        });
        log.info("context saved context={} session={} bytes={}", id, sessionId, state.length);
        return get(customerId, id);
    }

    /** The sealed state opens only on its own row: the additional data binds it to the context and its customer. */
    private static byte[] aad(UUID contextId, UUID customerId) {
        return ("browser_context:" + contextId + ":" + customerId).getBytes(StandardCharsets.US_ASCII);
    }

    private ApiException tooLarge(String what) {
        return new ApiException(413, ErrorCode.CONTEXT_TOO_LARGE, "the saved context exceeds " + maxBytes + " bytes; " + what);
    }

    static ApiException notFound() {
        return new ApiException(404, ErrorCode.NOT_FOUND, "context not found");
    }

    private static ContextBody body(ResultSet rs) throws SQLException {
        Map<String, Object> profile;
        try {
            profile = Json.MAPPER.readValue(rs.getString("resolved"), MAP);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new ContextBody(rs.getObject("id", UUID.class), rs.getString("name"), rs.getLong("size_bytes"),
                rs.getObject("source_session_id", UUID.class), profile,
                rs.getTimestamp("created_at").toInstant().truncatedTo(ChronoUnit.SECONDS),
                rs.getTimestamp("updated_at").toInstant().truncatedTo(ChronoUnit.SECONDS));
    }
}
