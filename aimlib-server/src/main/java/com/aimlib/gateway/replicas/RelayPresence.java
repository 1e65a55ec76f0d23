package com.aimlib.gateway.replicas;

import static com.aimlib.gateway.sessions.SessionState.ACTIVE;
import static com.aimlib.gateway.sessions.SessionState.IDLE;
import static com.aimlib.gateway.sessions.SessionState.READY;

import com.aimlib.gateway.sessions.SessionStateMachine;
import java.util.EnumSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * A browser session's relay (CDP) clients summed over replicas: each replica writes how many clients of the
 * session it relays into {@code relay_presence}, and {@code browser_sessions.relay_clients} becomes the sum
 * over live replicas; the session turns {@code active} while the sum is positive and {@code idle} when it
 * reaches 0. So with two clients on two replicas the first disconnect leaves the session active. The session
 * row is locked first (writers on several replicas take turns). Blocking (JDBC): call on a virtual thread.
 */
public final class RelayPresence {
    private final Replicas replicas;

    public RelayPresence(Replicas replicas) {
        this.replicas = replicas;
    }

    /** Records that this replica relays {@code clients} clients of the session, then re-derives the session's count and state. */
    public void sync(Handle h, UUID sessionId, int clients) {
        if (h.createQuery("SELECT id FROM browser_sessions WHERE id = :id FOR UPDATE").bind("id", sessionId).mapTo(UUID.class).findOne().isEmpty()) {
            return;
        }
        if (clients > 0 && !replicas.closed()) {
            h.createUpdate("""
                            INSERT INTO relay_presence (session_id, replica_id, clients)
                            SELECT :s, r.id, :n FROM gateway_replicas r WHERE r.id = :r
                            ON CONFLICT (session_id, replica_id) DO UPDATE SET clients = :n""")
                    .bind("s", sessionId).bind("r", replicas.id()).bind("n", clients).execute();
        } else {
            h.createUpdate("DELETE FROM relay_presence WHERE session_id = :s AND replica_id = :r")
                    .bind("s", sessionId).bind("r", replicas.id()).execute();
        }
        derive(h, sessionId, replicas.expirySeconds());
    }

    /** Sets the session's relay count from live replicas' rows and moves it active (count &gt; 0) or idle (0). */
    static void derive(Handle h, UUID sessionId, double expirySeconds) {
        int total = h.createQuery("""
                        UPDATE browser_sessions s SET relay_clients = (
                                 SELECT COALESCE(sum(p.clients), 0) FROM relay_presence p
                                 JOIN gateway_replicas r ON r.id = p.replica_id AND r.heartbeat_at >= now() - make_interval(secs => :expiry_s)
                                 WHERE p.session_id = s.id)
                        WHERE s.id = :s RETURNING relay_clients""")
                .bind("s", sessionId).bind("expiry_s", expirySeconds).mapTo(Integer.class).findOne().orElse(0);
        if (total > 0) {
            SessionStateMachine.move(h, sessionId, EnumSet.of(READY, IDLE), ACTIVE);
        } else {
            SessionStateMachine.move(h, sessionId, EnumSet.of(ACTIVE), IDLE);
        }
    }
}
