package com.aimlib.gateway.rotation;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.tunnel.DeviceTunnels;
import com.aimlib.protocol.ErrorBody;
import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.OperationBody;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotations as stored operations, whichever replica is asked. A request checks the rules under a lock on the
 * device row (the sole active lease's holder, one open operation per device, the minimum interval, an online
 * device) and stores a {@code queued} operation; the replica that holds the device's tunnel claims it
 * ({@code running}) and runs the agent's state machine through {@link DeviceTunnels#rotate(UUID, Duration, UUID)}:
 * drain → rotate command → network back → a different IP confirmed by the probe → recorded, or restored on any
 * failure; the outcome ends the operation ({@code succeeded}, {@code failed}, {@code timeout}, with a reason).
 * A background loop on every replica picks up queued operations of its devices, ends abandoned ones, and starts
 * due scheduled rotations. Blocking (JDBC, agent calls): call from virtual threads.
 */
public final class RotationService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RotationService.class);
    private static final Duration SWEEP_PERIOD = Duration.ofSeconds(5);

    private final Jdbi jdbi;
    private final Operations operations;
    private final DeviceTunnels tunnels;
    private final Clock clock;
    private final RotationSettings settings;
    private final ExecutorService blocking;
    private final String replica = "gw-" + UUID.randomUUID().toString().substring(0, 8);
    private final Map<UUID, CompletableFuture<Void>> running = new ConcurrentHashMap<>();
    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final Timer duration;
    private volatile Thread loop;
    private volatile boolean closed;
    /** Stops the loop between two rounds, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer pacer = new com.aimlib.Pacer();

    public RotationService(Jdbi jdbi, DeviceTunnels tunnels, Clock clock, RotationSettings settings,
                           ExecutorService blocking, MeterRegistry meters) {
        this.jdbi = jdbi;
        this.operations = new Operations(jdbi);
        this.tunnels = tunnels;
        this.clock = clock;
        this.settings = settings;
        this.blocking = blocking;
        this.meters = meters;
        this.duration = Timer.builder("aimlib.rotation.duration").description("Time from claim to outcome of a rotation")
                .register(meters);
    }

    /** Starts the background loop (queued operations, sweeps, schedules) unless its period is zero. */
    public RotationService start() {
        if (!settings.pollPeriod().isZero()) {
            loop = Thread.ofVirtual().name("rotation-loop").start(this::loop);
        }
        return this;
    }

    public RotationSettings settings() {
        return settings;
    }

    private void loop() {
        long lastSweep = 0;
        while (!closed && pacer.pause(settings.pollPeriod())) {
            try {
                pickUpQueued();
                // Sweeps and schedules need no sub-second reaction: spare the database.
                if (System.nanoTime() - lastSweep >= SWEEP_PERIOD.toNanos()) {
                    lastSweep = System.nanoTime();
                    sweepAndSchedule();
                }
            } catch (RuntimeException e) {
                log.warn("event=rotation_loop_failed error={}", e.toString());
            }
        }
    }

    /**
     * One pass of the background loop: claims and runs queued operations of devices whose tunnels this
     * replica holds, ends operations nobody will finish, and starts due scheduled rotations.
     */
    public void tick() {
        pickUpQueued();
        sweepAndSchedule();
    }

    private void pickUpQueued() {
        for (Operations.Queued q : operations.queued()) {
            if (tunnels.online(q.deviceId()) && !running.containsKey(q.id())) {
                blocking.execute(() -> run(q.id(), q.deviceId()));
            }
        }
    }

    private void sweepAndSchedule() {
        int swept = operations.sweep(clock.instant(), settings.queueTimeout(), settings.bound());
        if (swept > 0) {
            log.info("event=rotation_swept count={}", swept);
        }
        startDueSchedules();
    }

    // ---------------------------------------------------------------------------------------------
    // Requests
    // ---------------------------------------------------------------------------------------------

    /** The lease the caller may rotate the device under, as found under the device row's lock. */
    private record Holder(UUID leaseId, UUID customerId) {
    }

    /**
     * A customer's rotation ({@code trigger} {@code api} or {@code schedule}): checks the rules, stores the
     * queued operation and starts it here when this replica holds the device's tunnel (otherwise the one that
     * does claims it). Throws the rule's {@link ApiException}.
     */
    public OperationBody request(UUID customerId, UUID deviceId, String trigger) {
        Instant now = clock.instant();
        OperationBody op = jdbi.inTransaction(h -> {
            String status = lockDevice(h, deviceId);
            Holder holder = soleHolder(h, customerId, deviceId, now);
            return admit(h, deviceId, status, holder, trigger, now, true);
        });
        dispatch(op);
        return op;
    }

    /**
     * An operator's rotation ({@code POST /admin/v1/devices/{id}/rotate}): no lease or interval rule, one open
     * operation per device still holds. Throws 404 for an unknown device, 409 {@code device_offline} /
     * {@code rotation_in_progress}.
     */
    public OperationBody requestAsOperator(UUID deviceId) {
        Instant now = clock.instant();
        OperationBody op = jdbi.inTransaction(h -> {
            String status = lockDevice(h, deviceId);
            Holder holder = h.createQuery("""
                            SELECT id, customer_id FROM leases WHERE device_id = :d AND status = 'active'
                              AND (ends_at IS NULL OR ends_at > :now)""")
                    .bind("d", deviceId).bind("now", Timestamp.from(now))
                    .map((rs, ctx) -> new Holder(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class))).findFirst()
                    .orElse(new Holder(null, null));
            return admit(h, deviceId, status, holder, "operator", now, false);
        });
        dispatch(op);
        return op;
    }

    private static String lockDevice(Handle h, UUID deviceId) {
        return h.createQuery("SELECT status FROM devices WHERE id = :d FOR UPDATE").bind("d", deviceId)
                .mapTo(String.class).findOne().orElseThrow(RotationService::deviceNotFound);
    }

    /**
     * The caller's lease when it is the device's only active one; 404 when the caller never leased the device
     * (another tenant's device looks like no device), 409 {@code rotation_not_allowed} otherwise.
     */
    private static Holder soleHolder(Handle h, UUID customerId, UUID deviceId, Instant now) {
        boolean everLeased = h.createQuery("SELECT count(*) FROM leases WHERE device_id = :d AND customer_id = :c")
                .bind("d", deviceId).bind("c", customerId).mapTo(Integer.class).one() > 0;
        if (!everLeased) {
            throw deviceNotFound();
        }
        List<Holder> active = h.createQuery("""
                        SELECT l.id, l.customer_id FROM leases l WHERE l.device_id = :d AND l.status = 'active'
                          AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("d", deviceId).bind("now", Timestamp.from(now))
                .map((rs, ctx) -> new Holder(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class))).list();
        if (active.size() != 1 || !active.get(0).customerId().equals(customerId)) {
            throw new ApiException(409, ErrorCode.ROTATION_NOT_ALLOWED,
                    "only the holder of the device's only active lease may rotate its IP");
        }
        return active.get(0);
    }

    private OperationBody admit(Handle h, UUID deviceId, String deviceStatus, Holder holder, String trigger, Instant now,
                                boolean interval) {
        Optional<UUID> open = Operations.open(h, deviceId);
        if (open.isPresent()) {
            throw new ApiException(409, ErrorCode.ROTATION_IN_PROGRESS,
                    "operation " + open.get() + " is rotating this device; poll /v1/operations/" + open.get());
        }
        if (interval) {
            Optional<Instant> last = Operations.lastStart(h, deviceId);
            if (last.isPresent()) {
                Instant allowed = last.get().plus(settings.minInterval());
                if (now.isBefore(allowed)) {
                    long wait = Math.max(1, (Duration.between(now, allowed).toMillis() + 999) / 1000);
                    throw new ApiException(429, new ErrorBody(ErrorCode.ROTATION_TOO_SOON,
                            "the device rotated less than " + settings.minInterval().toSeconds() + " s ago; retry in " + wait + " s"),
                            Map.of("Retry-After", Long.toString(wait)));
                }
            }
        }
        if ("offline".equals(deviceStatus)) {
            throw new ApiException(409, ErrorCode.DEVICE_OFFLINE, "the device's agent is not connected");
        }
        return Operations.insert(h, deviceId, holder.customerId(), holder.leaseId(), trigger, now);
    }

    static ApiException deviceNotFound() {
        return ApiException.shortForm(404, "device not found");
    }

    /** Runs the operation here when this replica holds the device's tunnel; otherwise the holder's loop will. */
    private void dispatch(OperationBody op) {
        if (tunnels.online(op.deviceId())) {
            running.computeIfAbsent(op.operationId(), k -> new CompletableFuture<>());
            blocking.execute(() -> run(op.operationId(), op.deviceId()));
        }
    }

    /** Claims and runs one operation; does nothing when another replica claimed it first. */
    private void run(UUID id, UUID deviceId) {
        CompletableFuture<Void> done = running.computeIfAbsent(id, k -> new CompletableFuture<>());
        try {
            if (!operations.claim(id, replica, clock.instant())) {
                return;
            }
            long t0 = System.nanoTime();
            String status;
            String oldIp = null;
            String newIp = null;
            String reason;
            try {
                DeviceTunnels.Rotation r = tunnels.rotate(deviceId, settings.bound(), id);
                status = r.outcome();
                oldIp = r.previousIp();
                newIp = r.egressIp();
                reason = r.reason();
            } catch (DeviceTunnels.RotationRefused e) {
                status = "failed";
                reason = e.getMessage();
            }
            operations.finish(id, status, oldIp, newIp, reason, clock.instant());
            duration.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            outcomes.computeIfAbsent(status, s -> Counter.builder("aimlib.rotation.outcomes").tag("status", s).register(meters))
                    .increment();
            log.info("event=rotation_done operation={} device={} status={} reason={}", id, deviceId, status, reason);
        } catch (RuntimeException e) {
            log.warn("event=rotation_error operation={} device={} error={}", id, deviceId, e.toString());
            try {
                operations.finish(id, "failed", null, null, "internal_error", clock.instant());
            } catch (RuntimeException ignored) {
                // The sweep ends it.
            }
        } finally {
            running.remove(id);
            done.complete(null);
        }
    }

    /** The operation as its owner sees it. */
    public Optional<OperationBody> get(UUID id, UUID customerId) {
        return operations.get(id, customerId);
    }

    /**
     * Waits until the operation ended or {@code wait} passed, and answers it as it is then. Operations run by
     * this replica wake the waiter at once; others are polled every 200 ms.
     */
    public OperationBody await(UUID id, UUID customerId, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            OperationBody op = operations.get(id, customerId).orElseThrow(RotationService::operationNotFound);
            long left = deadline - System.nanoTime();
            if (op.finished() || left <= 0) {
                return op;
            }
            CompletableFuture<Void> local = running.get(id);
            long slice = Math.min(left, TimeUnit.MILLISECONDS.toNanos(200));
            if (local == null) {
                Thread.sleep(Duration.ofNanos(slice));
            } else {
                try {
                    local.get(slice, TimeUnit.NANOSECONDS);
                } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                    // Look again.
                }
            }
        }
    }

    static ApiException operationNotFound() {
        return ApiException.shortForm(404, "operation not found");
    }

    // ---------------------------------------------------------------------------------------------
    // Schedules
    // ---------------------------------------------------------------------------------------------

    /** A lease with a rotation schedule. */
    private record Scheduled(UUID leaseId, UUID customerId, UUID deviceId, int everySeconds, Instant anchor, Instant lastStart) {
        Instant due() {
            Instant from = lastStart == null || lastStart.isBefore(anchor) ? anchor : lastStart;
            return from.plusSeconds(everySeconds);
        }
    }

    private void startDueSchedules() {
        Instant now = clock.instant();
        List<Scheduled> leases = jdbi.withHandle(h -> h.createQuery("""
                        SELECT l.id, l.customer_id, l.device_id, l.rotate_every_s, l.rotate_anchor_at,
                               (SELECT max(o.started_at) FROM device_operations o WHERE o.device_id = l.device_id) AS last_start
                        FROM leases l JOIN customers c ON c.id = l.customer_id AND c.status = 'active'
                        WHERE l.status = 'active' AND l.rotate_every_s IS NOT NULL AND (l.ends_at IS NULL OR l.ends_at > :now)""")
                .bind("now", Timestamp.from(now))
                .map((rs, ctx) -> new Scheduled(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getObject(3, UUID.class),
                        rs.getInt(4), rs.getTimestamp(5).toInstant(),
                        rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant()))
                .list());
        for (Scheduled s : leases) {
            // Only the replica holding the device's tunnel starts it, so replicas do not race for the row lock.
            if (!now.isBefore(s.due()) && tunnels.online(s.deviceId())) {
                try {
                    OperationBody op = request(s.customerId(), s.deviceId(), "schedule");
                    log.info("event=rotation_scheduled operation={} device={} lease={}", op.operationId(), s.deviceId(), s.leaseId());
                } catch (ApiException e) {
                    log.info("event=rotation_schedule_skipped device={} lease={} why={}", s.deviceId(), s.leaseId(), e.body().error());
                }
            }
        }
    }

    /** A lease's rotation schedule: its interval (null: none) and when the next rotation is due. */
    public record Schedule(UUID leaseId, Integer interval, Instant next) {
    }

    private Schedule scheduleOf(Handle h, UUID leaseId) {
        Integer every = h.createQuery("SELECT rotate_every_s FROM leases WHERE id = :l").bind("l", leaseId)
                .mapTo(Integer.class).findOne().orElse(null);
        return new Schedule(leaseId, every, every == null ? null : nextScheduled(h, leaseId));
    }

    /** When the lease's next scheduled rotation is due, or null without a schedule. */
    private Instant nextScheduled(Handle h, UUID leaseId) {
        return h.createQuery("""
                        SELECT l.rotate_every_s, l.rotate_anchor_at,
                               (SELECT max(o.started_at) FROM device_operations o WHERE o.device_id = l.device_id) AS last_start
                        FROM leases l WHERE l.id = :l AND l.rotate_every_s IS NOT NULL""")
                .bind("l", leaseId)
                .map((rs, ctx) -> new Scheduled(leaseId, null, null, rs.getInt(1), rs.getTimestamp(2).toInstant(),
                        rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant()).due())
                .findOne().orElse(null);
    }

    /**
     * Sets (or with null clears) the rotation schedule of the caller's lease on the device; the interval
     * counts from now. Same lease rule as a rotation. Answers the lease id and the next due time.
     */
    public Schedule schedule(UUID customerId, UUID deviceId, Integer everySeconds) {
        Instant now = clock.instant();
        return jdbi.inTransaction(h -> {
            lockDevice(h, deviceId);
            Holder holder = soleHolder(h, customerId, deviceId, now);
            h.createUpdate("UPDATE leases SET rotate_every_s = CAST(:every AS integer), rotate_anchor_at = CAST(:now AS timestamptz) WHERE id = :l")
                    .bind("every", everySeconds).bind("now", everySeconds == null ? null : Timestamp.from(now))
                    .bind("l", holder.leaseId()).execute();
            return scheduleOf(h, holder.leaseId());
        });
    }

    /** The schedule of the caller's lease on the device (same lease rule as a rotation). */
    public Schedule schedule(UUID customerId, UUID deviceId) {
        Instant now = clock.instant();
        return jdbi.withHandle(h -> scheduleOf(h, soleHolder(h, customerId, deviceId, now).leaseId()));
    }

    @Override
    public void close() {
        closed = true;
        Thread t = loop;
        if (t != null) {
            pacer.stop(t, java.time.Duration.ofSeconds(5));
        }
    }
}
