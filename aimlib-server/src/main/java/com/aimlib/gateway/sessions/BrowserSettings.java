package com.aimlib.gateway.sessions;

import java.time.Duration;

/**
 * Session scheduler and reaper settings, defaults as documented: 30-minute TTL ceiling, 120 s idle
 * timeout, 2 GB per-session data cap.
 */
public record BrowserSettings(
        int ttlCeilingSeconds,
        int defaultIdleTimeoutSeconds,
        long sessionDataCapBytes,
        Duration reapInterval,
        Duration heartbeatTimeout,
        Duration bootTimeout,
        Duration expiringTimeout,
        Duration activityFlushInterval,
        int defaultReadyInSeconds) {

    public static BrowserSettings defaults() {
        // heartbeat timeout 8 s against hosts beating every 2 s and a reaper pass every second: a dead host's sessions
        // are failed within 10 s (issue 12)
        return new BrowserSettings(1800, 120, 2L * 1000 * 1000 * 1000, Duration.ofSeconds(1), Duration.ofSeconds(8),
                Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(2), 2);
    }

    /** The same settings with the reaper and flusher not scheduled (tests drive them by hand). */
    public BrowserSettings manualReaper() {
        return new BrowserSettings(ttlCeilingSeconds, defaultIdleTimeoutSeconds, sessionDataCapBytes, Duration.ZERO,
                heartbeatTimeout, bootTimeout, expiringTimeout, Duration.ZERO, defaultReadyInSeconds);
    }
}
