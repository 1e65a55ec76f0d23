package com.aimlib.gateway.recordings;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.protocol.host.RecordingOrder;
import com.aimlib.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A customer's session recordings (issue 14): the opt-in at create (quota check, the session's directory and its
 * byte budget, in the create transaction), the listing and the files, the per-customer storage quota, and the
 * retention sweep. Files live under {@code <dir>/<customer>/<session>/}; their size on disk is what counts.
 */
public final class Recordings implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Recordings.class);
    /** A file name in a listing or a download path: no separators, no leading dot (the host's work files are hidden). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private final Jdbi jdbi;
    private final Clock clock;
    private final RecordingSettings settings;
    private final ScheduledExecutorService timer;

    public Recordings(Database db, Clock clock, RecordingSettings settings) {
        this.jdbi = db.jdbi();
        this.clock = clock;
        this.settings = settings;
        if (!settings.sweepInterval().isZero()) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("recordings-sweep").factory());
            long ms = settings.sweepInterval().toMillis();
            timer.scheduleWithFixedDelay(this::sweepQuietly, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    public RecordingSettings settings() {
        return settings;
    }

    /**
     * In the create transaction, with the customer's row locked: 409 {@code storage_quota_exceeded} when the
     * customer's recordings already fill its quota; else the session's recording row and what the host records. An
     * adopted idle session keeps its directory: the new life's HAR and video replace the earlier ones, screenshots add up.
     */
    public RecordingOrder claim(Handle h, UUID customerId, UUID sessionId, RecordingSpec spec) {
        long quota = quota(h, customerId);
        long used = usedBytes(customerId);
        if (used >= quota) {
            throw new ApiException(409, ErrorCode.STORAGE_QUOTA_EXCEEDED,
                    "recordings use " + used + " of this customer's " + quota + " bytes; download and delete old ones or ask for a larger quota");
        }
        Path dir = settings.dir().resolve(customerId.toString()).resolve(sessionId.toString()).toAbsolutePath();
        long budget = quota - used;
        h.createUpdate("""
                        INSERT INTO session_recordings (session_id, customer_id, har, screenshots, video, dir, budget_bytes, created_at)
                        VALUES (:s, :c, :har, :shots, :video, :dir, :budget, :now)
                        ON CONFLICT (session_id) DO UPDATE SET har = EXCLUDED.har, screenshots = EXCLUDED.screenshots,
                            video = EXCLUDED.video, budget_bytes = EXCLUDED.budget_bytes""")
                .bind("s", sessionId).bind("c", customerId).bind("har", spec.har()).bind("shots", spec.screenshots())
                .bind("video", spec.video()).bind("dir", dir.toString()).bind("budget", budget)
                .bind("now", Timestamp.from(clock.instant())).execute();
        return new RecordingOrder(spec.har(), spec.screenshots(), spec.video(), dir, budget);
    }

    /** What a host that takes its orders from the database records for {@code sessionId} (null: nothing). */
    public static RecordingOrder orderOf(Handle h, UUID sessionId) {
        return h.createQuery("SELECT har, screenshots, video, dir, budget_bytes FROM session_recordings WHERE session_id = :s")
                .bind("s", sessionId)
                .map((rs, ctx) -> new RecordingOrder(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), Path.of(rs.getString(4)), rs.getLong(5)))
                .findOne().orElse(null);
    }

    private long quota(Handle h, UUID customerId) {
        return h.createQuery("SELECT COALESCE(storage_quota_bytes, :d) FROM customers WHERE id = :c")
                .bind("c", customerId).bind("d", settings.defaultQuotaBytes()).mapTo(Long.class).one();
    }

    /** Bytes of every recording file of the customer, as on disk now. Blocking. */
    public long usedBytes(UUID customerId) {
        return bytesUnder(settings.dir().resolve(customerId.toString()));
    }

    private static long bytesUnder(Path root) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted while walking
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    /** One recorded file, with its path on this gateway's disk. */
    public record FileEntry(String name, String kind, long bytes, Path path) {
    }

    /** A session's recording as its owner sees it. */
    public record Listing(UUID sessionId, boolean har, boolean screenshots, boolean video, String status, Instant expiresAt,
                          List<FileEntry> files, long usedBytes, long quotaBytes) {
    }

    private record Row(UUID customerId, boolean har, boolean screenshots, boolean video, Path dir, String sessionStatus,
                       Instant endedAt, long quota) {
    }

    private Optional<Row> row(UUID customerId, UUID sessionId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT r.customer_id, r.har, r.screenshots, r.video, r.dir, s.status, s.ended_at,
                               COALESCE(c.storage_quota_bytes, :d) AS quota
                        FROM session_recordings r JOIN browser_sessions s ON s.id = r.session_id JOIN customers c ON c.id = r.customer_id
                        WHERE r.session_id = :s AND r.customer_id = :c""")
                .bind("s", sessionId).bind("c", customerId).bind("d", settings.defaultQuotaBytes())
                .map((rs, ctx) -> new Row(rs.getObject(1, UUID.class), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4),
                        Path.of(rs.getString(5)), rs.getString(6), ts(rs.getTimestamp(7)), rs.getLong(8)))
                .findOne());
    }

    /**
     * 404 {@code session_not_found} for another customer's session or an unknown one (the same answer, so ids are not
     * probed), 404 {@code not_found} for the caller's own session that records nothing.
     */
    private Row owned(UUID customerId, UUID sessionId) {
        Optional<Row> r = row(customerId, sessionId);
        if (r.isPresent()) {
            return r.get();
        }
        boolean own = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE id = :s AND customer_id = :c")
                .bind("s", sessionId).bind("c", customerId).mapTo(Integer.class).one()) > 0;
        if (own) {
            throw new ApiException(404, ErrorCode.NOT_FOUND, "this session records nothing (create it with \"recording\")");
        }
        throw ApiException.shortForm(404, "session_not_found");
    }

    /** GET /v1/sessions/{id}/recording. Blocking. */
    public Listing list(UUID customerId, UUID sessionId) {
        Row r = owned(customerId, sessionId);
        List<FileEntry> files = new ArrayList<>();
        addFile(files, r.dir(), "recording.har", "har");
        addFile(files, r.dir(), "video.mp4", "video");
        Path shots = r.dir().resolve("screenshots");
        if (Files.isDirectory(shots, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(shots)) {
                s.map(p -> p.getFileName().toString()).filter(n -> NAME.matcher(n).matches() && n.endsWith(".png")).sorted()
                        .forEach(n -> addFile(files, shots, n, "screenshot"));
            } catch (IOException e) {
                log.warn("screenshots not listed session={} cause={}", sessionId, e.toString());
            }
        }
        boolean ended = "gone".equals(r.sessionStatus()) || "failed".equals(r.sessionStatus());
        Instant expires = ended && r.endedAt() != null ? r.endedAt().plus(settings.retention()).truncatedTo(ChronoUnit.SECONDS) : null;
        return new Listing(sessionId, r.har(), r.screenshots(), r.video(), ended ? "complete" : "recording", expires, files,
                usedBytes(customerId), r.quota());
    }

    private static void addFile(List<FileEntry> files, Path dir, String name, String kind) {
        Path p = dir.resolve(name);
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
                files.add(new FileEntry("screenshot".equals(kind) ? "screenshots/" + name : name, kind, Files.size(p), p));
            } catch (IOException e) {
                // Deleted meanwhile: not listed.
            }
        }
    }

    /** One file of the caller's recording: {@code recording.har}, {@code video.mp4} or {@code screenshots/<name>.png}. */
    public FileEntry file(UUID customerId, UUID sessionId, String name) {
        Row r = owned(customerId, sessionId);
        String[] parts = name.split("/", -1);
        boolean shot = parts.length == 2 && "screenshots".equals(parts[0]);
        if (!(parts.length == 1 || shot) || !NAME.matcher(parts[parts.length - 1]).matches()) {
            throw new ApiException(404, ErrorCode.NOT_FOUND, "no recording file named " + safe(name));
        }
        Path dir = shot ? r.dir().resolve("screenshots") : r.dir();
        Path p = dir.resolve(parts[parts.length - 1]).normalize();
        if (!p.startsWith(r.dir()) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new ApiException(404, ErrorCode.NOT_FOUND, "no recording file named " + safe(name));
        }
        try {
            return new FileEntry(name, kind(name), Files.size(p), p);
        } catch (NoSuchFileException e) {
            throw new ApiException(404, ErrorCode.NOT_FOUND, "no recording file named " + safe(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String safe(String name) {
        return name.length() > 64 ? name.substring(0, 64) + "…" : name;
    }

    static String kind(String name) {
        return name.endsWith(".har") ? "har" : name.endsWith(".mp4") ? "video" : "screenshot";
    }

    public static String contentType(String name) {
        return name.endsWith(".har") ? "application/json" : name.endsWith(".mp4") ? "video/mp4" : name.endsWith(".png") ? "image/png"
                : "application/octet-stream";
    }

    /**
     * Deletes the recordings (files and rows) of sessions that ended more than the retention ago, by the injected
     * clock. Returns how many were deleted. Blocking.
     */
    public int sweep() {
        Instant limit = clock.instant().minus(settings.retention());
        List<Map<String, Object>> expired = jdbi.withHandle(h -> h.createQuery("""
                        SELECT r.session_id, r.dir FROM session_recordings r JOIN browser_sessions s ON s.id = r.session_id
                        WHERE s.status IN ('gone','failed') AND COALESCE(s.ended_at, r.created_at) <= :limit""")
                .bind("limit", Timestamp.from(limit)).mapToMap().list());
        for (Map<String, Object> e : expired) {
            Path dir = Path.of((String) e.get("dir"));
            if (dir.startsWith(settings.dir().toAbsolutePath())) {
                deleteTree(dir);
            }
            jdbi.useHandle(h -> h.createUpdate("DELETE FROM session_recordings WHERE session_id = :s").bind("s", e.get("session_id")).execute());
            log.info("recording deleted after retention session={}", e.get("session_id"));
        }
        return expired.size();
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.warn("recording sweep failed cause={}", e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("recording file not deleted file={} cause={}", p, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("recording dir not deleted dir={} cause={}", dir, e.toString());
        }
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        // A sweep in flight finishes first (as the session reaper's): an interrupt mid-query breaks its pooled
        // connection, and the pool logs that with a stack trace.
        timer.shutdown();
        try {
            if (!timer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
