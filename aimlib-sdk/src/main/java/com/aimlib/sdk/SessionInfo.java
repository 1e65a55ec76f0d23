package com.aimlib.sdk;

import com.aimlib.protocol.SessionInfoBody;
import java.time.Duration;
import java.time.Instant;

/**
 * One of your browser sessions as {@code GET /v1/sessions} shows it (an extension of the documented API): live or,
 * for the retention period (7 days), ended — then with its final status, end reason, duration and bytes.
 */
public final class SessionInfo {
    private final SessionInfoBody body;

    SessionInfo(SessionInfoBody body) {
        this.body = body;
    }

    public String id() {
        return body.sessionId().toString();
    }

    public String deviceId() {
        return body.deviceId().toString();
    }

    /** {@code requested}, {@code provisioning}, {@code ready}, {@code active}, {@code idle}, {@code expiring}, {@code gone} or {@code failed}. */
    public String status() {
        return body.status();
    }

    public String connectUrl() {
        return body.connectUrl();
    }

    /** The device's public IP as the session saw it, or null before it was ready. */
    public String egressIp() {
        return body.egressIp();
    }

    /** Bytes through the session's browser so far (both directions). */
    public long bytesUsed() {
        return body.bytesUsed();
    }

    public Instant createdAt() {
        return body.createdAt();
    }

    public Instant startedAt() {
        return body.startedAt();
    }

    public Instant expiresAt() {
        return body.expiresAt();
    }

    /** When it ended, or null while it lives. */
    public Instant endedAt() {
        return body.endedAt();
    }

    /** {@code stopped}, {@code ttl_expired}, {@code idle_timeout}, {@code lease_ended}, a failure's reason, or null while it lives. */
    public String endReason() {
        return body.endReason();
    }

    /** From start (or creation) to its end, or to now while it lives. */
    public Duration duration() {
        return body.durationSeconds() == null ? null : Duration.ofSeconds(body.durationSeconds());
    }

    /** The page its first tab opened, or null. */
    public String startUrl() {
        return body.startUrl();
    }

    /** Whether it has ended ({@code gone} or {@code failed}). */
    public boolean ended() {
        return "gone".equals(status()) || "failed".equals(status());
    }

    @Override
    public String toString() {
        return "SessionInfo[id=" + id() + ", device=" + deviceId() + ", status=" + status() + ", egressIp=" + egressIp()
                + ", bytesUsed=" + bytesUsed() + ", endReason=" + endReason() + "]";
    }
}
