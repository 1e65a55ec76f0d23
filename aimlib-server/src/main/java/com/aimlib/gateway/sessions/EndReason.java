package com.aimlib.gateway.sessions;

import java.util.Locale;

/**
 * Why a session left the live states, as {@code GET /v1/sessions/{id}} shows it ({@code end_reason}); a failed
 * session shows its failure reason instead. Written once, by the move to {@code expiring}: the first reason wins.
 */
public enum EndReason {
    /** The customer's DELETE. */
    STOPPED,
    /** Its TTL (or the lease end it was clamped to) passed. */
    TTL_EXPIRED,
    /** No relay traffic for its idle timeout. */
    IDLE_TIMEOUT,
    /** The lease ended or the customer was suspended. */
    LEASE_ENDED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The SQL assignment a state-machine move adds. */
    String set() {
        return "end_reason = COALESCE(b.end_reason, '" + wire() + "')";
    }
}
