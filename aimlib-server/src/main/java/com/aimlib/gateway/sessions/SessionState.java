package com.aimlib.gateway.sessions;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The documented session states, as stored in {@code browser_sessions.status} and shown to customers. */
public enum SessionState {
    REQUESTED, PROVISIONING, READY, ACTIVE, IDLE, EXPIRING, GONE, FAILED;

    /** States in which a session occupies (or may occupy) a browser: everything before teardown. */
    public static final Set<SessionState> LIVE = EnumSet.of(REQUESTED, PROVISIONING, READY, ACTIVE, IDLE);
    /** States the relay lets a client connect in. */
    public static final Set<SessionState> CONNECTABLE = EnumSet.of(READY, ACTIVE, IDLE);
    /** States GET /v1/devices/{id}/browser shows. */
    public static final Set<SessionState> VISIBLE = EnumSet.of(REQUESTED, PROVISIONING, READY, ACTIVE, IDLE, EXPIRING);

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SessionState of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
