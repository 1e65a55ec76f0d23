package com.aimlib.protocol.host;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a session's start went on its host, phase by phase, in nanoseconds, each measured back to back from the
 * moment the host took the boot order: {@code launch} (a pool hit: taking a warm browser; cold: spawning Chromium
 * until it announced its DevTools endpoint), {@code bridge_egress} (the bridge bound to the lease, or started for a
 * cold launch; the egress reported at ready is the device's known one), {@code first_cdp} (the host's CDP connection
 * to the browser), {@code identity} (the profile in effect on every existing target). The gateway adds
 * {@code queue_claim} before and {@code ready_report} after (docs/browser.md, "Start-time breakdown").
 */
public record StartPhases(boolean poolHit, Map<String, Long> nanos) {
    public static final String QUEUE_CLAIM = "queue_claim";
    public static final String LAUNCH = "launch";
    public static final String BRIDGE_EGRESS = "bridge_egress";
    public static final String FIRST_CDP = "first_cdp";
    public static final String IDENTITY = "identity";
    /** The session's own start URL sent and its recorder attached (only when it asked for either). */
    public static final String SESSION_SETUP = "session_setup";
    public static final String READY_REPORT = "ready_report";

    public StartPhases {
        nanos = Collections.unmodifiableMap(new LinkedHashMap<>(nanos));
    }

    /** Marks phases back to back: each {@link #mark} closes the phase that started at the previous mark. */
    public static final class Clock {
        private final boolean poolHit;
        private final Map<String, Long> nanos = new LinkedHashMap<>();
        private long last;

        public Clock(boolean poolHit, long start) {
            this.poolHit = poolHit;
            this.last = start;
        }

        public void mark(String phase) {
            long now = System.nanoTime();
            nanos.merge(phase, now - last, Long::sum);
            last = now;
        }

        public StartPhases done() {
            return new StartPhases(poolHit, nanos);
        }
    }
}
