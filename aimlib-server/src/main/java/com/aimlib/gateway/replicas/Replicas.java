package com.aimlib.gateway.replicas;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway process as one of several replicas on one database: a row in {@code gateway_replicas} with a
 * heartbeat written every {@code heartbeat} (database time, so replicas' clocks need not agree). A replica whose
 * heartbeat is older than {@code expiry} is dead: every replica's heartbeat pass deletes dead ones, and with them
 * (cascade) the tunnel connections and relay clients they claimed, then re-derives the status of the devices and
 * the relay count of the sessions concerned ({@link TunnelPresence}, {@link RelayPresence}). A replica that finds
 * its own row gone (it stalled longer than the expiry) inserts it again and re-announces what it holds.
 * Blocking work runs on a virtual thread of its own.
 */
public final class Replicas implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replicas.class);

    /**
     * Heartbeat every 2 s, dead after 10 s without one; the peer link (inter-replica routing) on a free port (0) unless set, reached
     * at {@code peerAdvertise} (null: the gateway's public host).
     */
    public record Settings(Duration heartbeat, Duration expiry, int peerPort, String peerAdvertise) {
        public Settings {
            if (heartbeat.isNegative() || expiry.compareTo(heartbeat) <= 0) {
                throw new IllegalArgumentException("the replica expiry must be longer than the heartbeat");
            }
            if (peerPort < 0 || peerPort > 65535) {
                throw new IllegalArgumentException("the peer port must be 0-65535");
            }
        }

        /** With the peer link on a free port (tests). */
        public Settings(Duration heartbeat, Duration expiry) {
            this(heartbeat, expiry, 0, null);
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), 0, null);
        }

        public Settings withPeer(int port, String advertise) {
            return new Settings(heartbeat, expiry, port, advertise);
        }
    }

    private final Jdbi jdbi;
    private final UUID id = UUID.randomUUID();
    private final Settings settings;
    private final List<Runnable> rejoinListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private volatile boolean closed;
    /** host:port other replicas dial for streams of the devices this one holds (null until the peer link listens). */
    private volatile String peerAddress;

    private Replicas(Jdbi jdbi, Settings settings) {
        this.jdbi = jdbi;
        this.settings = settings;
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO gateway_replicas (id) VALUES (:id)").bind("id", id).execute());
        if (settings.heartbeat().isZero()) {
            timer = null;
        } else {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("replica-heartbeat").factory());
            long ms = settings.heartbeat().toMillis();
            timer.scheduleWithFixedDelay(this::safeBeat, ms, ms, TimeUnit.MILLISECONDS);
        }
        log.info("event=replica_started replica={} heartbeat_ms={} expiry_ms={}", id, settings.heartbeat().toMillis(),
                settings.expiry().toMillis());
    }

    /** Registers this process as a replica and starts its heartbeat (a zero heartbeat: tests call {@link #beat}). */
    public static Replicas start(Jdbi jdbi, Settings settings) {
        return new Replicas(jdbi, settings);
    }

    public UUID id() {
        return id;
    }

    public Settings settings() {
        return settings;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    /** Seconds after which a replica without heartbeat counts as dead: what the presence queries bind as {@code :expiry_s}. */
    double expirySeconds() {
        return settings.expiry().toMillis() / 1000.0;
    }

    /** Publishes where other replicas reach this one's peer link ({@code host:port}). */
    public void advertise(String hostPort) {
        this.peerAddress = hostPort;
        jdbi.useHandle(h -> h.createUpdate("UPDATE gateway_replicas SET peer_address = :peer WHERE id = :id")
                .bind("peer", hostPort).bind("id", id).execute());
    }

    /** Another live replica holding a tunnel connection of the device: where to reach it, and whether it is rotating the device. */
    public record Holder(UUID replica, String peerAddress, boolean rotating) {
    }

    /** The live replica (not this one) holding most connections of the device, if any. Blocking. */
    public java.util.Optional<Holder> holder(UUID deviceId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT r.id, r.peer_address, p.rotating FROM device_tunnel_presence p
                        JOIN gateway_replicas r ON r.id = p.replica_id
                        WHERE p.device_id = :d AND r.id <> :me AND r.peer_address IS NOT NULL
                          AND r.heartbeat_at >= now() - make_interval(secs => :expiry_s)
                        ORDER BY p.rotating, p.connections DESC, r.heartbeat_at DESC LIMIT 1""")
                .bind("d", deviceId).bind("me", id).bind("expiry_s", expirySeconds())
                .map((rs, ctx) -> new Holder(rs.getObject(1, UUID.class), rs.getString(2), rs.getBoolean(3))).findOne());
    }

    /** Runs when this replica had been declared dead and registered again: re-announce what it holds. */
    public void onRejoin(Runnable listener) {
        rejoinListeners.add(listener);
    }

    private void safeBeat() {
        try {
            beat();
        } catch (RuntimeException e) {
            log.warn("event=replica_heartbeat_failed replica={} cause={}", id, e.toString());
        }
    }

    /** One heartbeat, then removes replicas that are dead. Blocking. */
    public void beat() {
        if (closed) {
            return;
        }
        int n = jdbi.withHandle(h -> h.createUpdate("UPDATE gateway_replicas SET heartbeat_at = now() WHERE id = :id").bind("id", id).execute());
        if (n == 0) {
            jdbi.useHandle(h -> h.createUpdate("""
                            INSERT INTO gateway_replicas (id, peer_address) VALUES (:id, :peer)
                            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), peer_address = :peer""")
                    .bind("id", id).bind("peer", peerAddress).execute());
            log.warn("event=replica_rejoined replica={} (its heartbeat had expired; re-announcing its tunnels and relay clients)", id);
            rejoinListeners.forEach(Runnable::run);
        }
        sweep();
    }

    /** Deletes replicas whose heartbeat expired and re-derives what they claimed; answers how many. Blocking. */
    public int sweep() {
        return jdbi.inTransaction(h -> {
            List<UUID> dead = h.createQuery("""
                            SELECT id FROM gateway_replicas WHERE id <> :me AND heartbeat_at < now() - make_interval(secs => :expiry_s)
                            FOR UPDATE SKIP LOCKED""")
                    .bind("me", id).bind("expiry_s", expirySeconds()).mapTo(UUID.class).list();
            if (!dead.isEmpty()) {
                forget(h, dead);
                log.info("event=replicas_expired replicas={}", dead);
            }
            return dead.size();
        });
    }

    /**
     * Deletes {@code replicas} and re-derives the devices and sessions they had claimed. Locks rows in the order the
     * presence writers do (device or session row first, then presence rows), so a replica closing while its own
     * channels still report does not deadlock with itself.
     */
    private void forget(Handle h, List<UUID> replicas) {
        UUID[] ids = replicas.toArray(UUID[]::new);
        java.util.SortedSet<UUID> devices = new java.util.TreeSet<>(h.createQuery(
                        "SELECT DISTINCT device_id FROM device_tunnel_presence WHERE replica_id = ANY(:r)")
                .bind("r", ids).mapTo(UUID.class).list());
        java.util.SortedSet<UUID> sessions = new java.util.TreeSet<>(h.createQuery(
                        "SELECT DISTINCT session_id FROM relay_presence WHERE replica_id = ANY(:r)")
                .bind("r", ids).mapTo(UUID.class).list());
        h.createQuery("SELECT id FROM devices WHERE id = ANY(:d) ORDER BY id FOR UPDATE")
                .bind("d", devices.toArray(UUID[]::new)).mapTo(UUID.class).list();
        h.createQuery("SELECT id FROM browser_sessions WHERE id = ANY(:s) ORDER BY id FOR UPDATE")
                .bind("s", sessions.toArray(UUID[]::new)).mapTo(UUID.class).list();
        // A claim written since the look-up above is deleted here too, and re-derived with the others.
        devices.addAll(h.createQuery("DELETE FROM device_tunnel_presence WHERE replica_id = ANY(:r) RETURNING device_id")
                .bind("r", ids).mapTo(UUID.class).list());
        sessions.addAll(h.createQuery("DELETE FROM relay_presence WHERE replica_id = ANY(:r) RETURNING session_id")
                .bind("r", ids).mapTo(UUID.class).list());
        h.createUpdate("DELETE FROM gateway_replicas WHERE id = ANY(:r)").bind("r", ids).execute();
        for (UUID d : devices) {
            TunnelPresence.derive(h, d, expirySeconds());
        }
        for (UUID s : sessions) {
            RelayPresence.derive(h, s, expirySeconds());
        }
    }

    /** Stops the heartbeat and removes this replica: its devices and sessions are re-derived from the others at once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (timer != null) {
            timer.shutdown();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            jdbi.useTransaction(h -> {
                h.createQuery("SELECT id FROM gateway_replicas WHERE id = :id FOR UPDATE").bind("id", id).mapTo(UUID.class).findOne();
                forget(h, List.of(id));
            });
        } catch (RuntimeException e) {
            log.warn("event=replica_deregister_failed replica={} cause={} (the others expire it)", id, e.toString());
        }
    }

    /** Whether this replica is closed (its presence writes are skipped). */
    boolean closed() {
        return closed;
    }
}
