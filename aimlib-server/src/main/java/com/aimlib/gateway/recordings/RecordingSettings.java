package com.aimlib.gateway.recordings;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where recordings are kept and for how long, and the default per-customer storage quota (a customer's
 * {@code storage_quota_bytes} overrides it): 1 GiB, kept 7 days after the session ended, swept every minute.
 */
public record RecordingSettings(Path dir, long defaultQuotaBytes, Duration retention, Duration sweepInterval) {
    public static final long DEFAULT_QUOTA = 1L << 30;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    public static RecordingSettings defaults() {
        return in(Path.of(System.getProperty("user.home"), ".aimlib", "recordings"));
    }

    public static RecordingSettings in(Path dir) {
        return new RecordingSettings(dir, DEFAULT_QUOTA, DEFAULT_RETENTION, Duration.ofMinutes(1));
    }

    public RecordingSettings withQuota(long bytes) {
        return new RecordingSettings(dir, bytes, retention, sweepInterval);
    }

    public RecordingSettings withRetention(Duration d) {
        return new RecordingSettings(dir, defaultQuotaBytes, d, sweepInterval);
    }

    /** No scheduled sweep (tests call {@link Recordings#sweep()} with an injected clock). */
    public RecordingSettings manualSweep() {
        return new RecordingSettings(dir, defaultQuotaBytes, retention, Duration.ZERO);
    }
}
