package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelProtocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's {@link DeviceStreams}: every device's pool of tunnel connections, new streams spread to
 * the least loaded connection (fewest active streams, a busy one counting extra: {@link TunnelConnection#load()}). Keeps the device row's status, sighting, carrier and
 * egress IP in step with what the agents say.
 */
public final class DeviceTunnels implements DeviceStreams {
    private static final Logger log = LoggerFactory.getLogger(DeviceTunnels.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(30);

    private final AgentStore store;
    private final ExecutorService blocking;
    private final Duration statusPoll;
    private final Map<UUID, Link> links = new ConcurrentHashMap<>();
    /** Several replicas on one database: status derived from every replica's connections (null: this process alone). */
    private volatile com.aimlib.gateway.replicas.TunnelPresence presence;

    /** One device's connections and whether it is rotating. */
    private static final class Link {
        final List<TunnelConnection> connections = new CopyOnWriteArrayList<>();
        final AtomicBoolean rotating = new AtomicBoolean();
        final ReentrantLock statusLock = new ReentrantLock();
    }

    public DeviceTunnels(AgentStore store, ExecutorService blocking) {
        this(store, blocking, Duration.ofSeconds(60));
    }

    /** {@code statusPoll}: how often each device's agent is asked for its egress IP (carrier changes show up so). */
    public DeviceTunnels(AgentStore store, ExecutorService blocking, Duration statusPoll) {
        this.store = store;
        this.blocking = blocking;
        this.statusPoll = statusPoll;
    }

    /**
     * From now on the device status is written through {@code presence}: this replica's connection count per
     * device, the status derived from all replicas' (issue 12). Re-announces the devices already connected.
     */
    public void presence(com.aimlib.gateway.replicas.TunnelPresence presence) {
        this.presence = presence;
        resyncAll();
    }

    /** Writes every connected device's presence again (after this replica re-registered). Blocking. */
    public void resyncAll() {
        links.forEach((id, link) -> syncStatus(id, link));
    }

    @Override
    public CompletableFuture<Channel> open(UUID deviceId, String host, int port) {
        return open(deviceId, host, port, null);
    }

    @Override
    public CompletableFuture<Channel> open(UUID deviceId, String host, int port, EventLoop near) {
        if (host == null || host.isEmpty() || host.length() > 255 || port < 1 || port > 65535
                || host.chars().anyMatch(c -> c <= ' ' || c >= 127 || c == '/' || c == '@')) {
            return CompletableFuture.failedFuture(new DeviceStreamException(DeviceStreamException.Reason.HOST_NOT_FOUND, "invalid host or port"));
        }
        Link link = links.get(deviceId);
        if (link != null && link.rotating.get()) {
            return CompletableFuture.failedFuture(new DeviceStreamException(DeviceStreamException.Reason.ROTATING, "the device is rotating its IP"));
        }
        TunnelConnection best = link == null ? null : leastLoaded(link, near);
        if (best == null) {
            return CompletableFuture.failedFuture(new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE, "the device is offline"));
        }
        return best.connect(host, port);
    }

    @Override
    public EventLoop streamLoop(UUID deviceId, EventLoop near) {
        Link link = links.get(deviceId);
        TunnelConnection best = link == null || link.rotating.get() ? null : leastLoaded(link, near);
        return best == null ? null : best.channel().eventLoop();
    }

    /** Whether any tunnel connection of the device is up. */
    public boolean online(UUID deviceId) {
        Link link = links.get(deviceId);
        return link != null && leastLoaded(link) != null;
    }

    /** How many tunnel connections the device has open. */
    public int connections(UUID deviceId) {
        Link link = links.get(deviceId);
        return link == null ? 0 : (int) link.connections.stream().filter(TunnelConnection::usable).count();
    }

    /** The devices with at least one usable tunnel connection to this gateway. */
    public java.util.Set<UUID> connectedDevices() {
        return links.keySet().stream().filter(this::online).collect(java.util.stream.Collectors.toSet());
    }

    private static TunnelConnection leastLoaded(Link link) {
        return leastLoaded(link, null);
    }

    /**
     * The usable connection with the least load (streams, plus recent bytes counted as streams: see
     * {@link TunnelConnection#load()}), with a connection on {@code near} worth one stream less: a stream on
     * its caller's loop relays without crossing threads, but a connection busy with a bulk transfer still
     * loses, so a small stream never queues behind the bulk just to stay on its loop.
     */
    private static TunnelConnection leastLoaded(Link link, EventLoop near) {
        TunnelConnection best = null;
        double bestScore = Double.MAX_VALUE;
        for (TunnelConnection c : link.connections) {
            if (!c.usable()) {
                continue;
            }
            double score = c.load() + (near != null && c.channel().eventLoop() == near ? 0 : 1);
            if (best == null || score < bestScore) {
                best = c;
                bestScore = score;
            }
        }
        return best;
    }

    TunnelConnection anyConnection(UUID deviceId) {
        Link link = links.get(deviceId);
        return link == null ? null : leastLoaded(link);
    }

    /** Adds an authenticated connection to its device's pool, and asks the agent what it sees. */
    void register(TunnelConnection connection) {
        UUID id = connection.deviceId();
        Link link = links.computeIfAbsent(id, k -> new Link());
        link.connections.add(connection);
        connection.channel().closeFuture().addListener(f -> {
            link.connections.remove(connection);
            blocking.execute(() -> syncStatus(id, link));
        });
        blocking.execute(() -> {
            syncStatus(id, link);
            refreshStatus(id, connection);
        });
        // Mobile IPs change on their own: ask again now and then, through one connection per device.
        ScheduledFuture<?> poll = connection.channel().eventLoop().scheduleAtFixedRate(() -> {
            if (connection == leastLoaded(link) && !link.rotating.get()) {
                blocking.execute(() -> refreshStatus(id, connection));
            }
        }, statusPoll.toMillis(), statusPoll.toMillis(), TimeUnit.MILLISECONDS);
        connection.channel().closeFuture().addListener(f -> poll.cancel(false));
    }

    private void syncStatus(UUID id, Link link) {
        link.statusLock.lock();
        try {
            com.aimlib.gateway.replicas.TunnelPresence shared = presence;
            if (shared != null) {
                int open = (int) link.connections.stream().filter(c -> c.channel().isActive()).count();
                shared.sync(id, open, open > 0 && link.rotating.get());
                return;
            }
            String status = link.connections.stream().anyMatch(c -> c.channel().isActive())
                    ? (link.rotating.get() ? "rotating" : "online") : "offline";
            store.setStatus(id, status);
        } catch (RuntimeException e) {
            log.warn("event=device_status_failed device={} error={}", id, e.toString());
        } finally {
            link.statusLock.unlock();
        }
    }

    /** Asks the agent for its carrier and egress IP and stores them. Blocking. */
    private void refreshStatus(UUID id, TunnelConnection connection) {
        try {
            ControlCallHandler.Answer answer = connection.control("GET", TunnelProtocol.STATUS_PATH, STATUS_TIMEOUT).join();
            if (answer.status() == 200) {
                JsonNode body = JSON.readTree(answer.body());
                store.report(id, text(body, "carrier"), text(body, "egress_ip"));
                store.reportLocale(id, text(body, "timezone"), text(body, "locale"));
            }
        } catch (Exception e) {
            log.info("event=device_status_unavailable device={} error={}", id, e.getClass().getSimpleName());
        }
    }

    /**
     * The outcome of a rotation: {@code outcome} is {@code succeeded}, {@code failed} or {@code timeout};
     * {@code reason} says why it did not succeed ({@code ip_unchanged}, {@code network_not_back},
     * {@code rotate_command_failed}, {@code rotate_command_timeout}, {@code no_rotate_command},
     * {@code agent_no_answer}, {@code tunnel_lost}); the stream counts are what the drain let finish and reset.
     */
    public record Rotation(String previousIp, String egressIp, boolean changed, String outcome, String reason,
                           int drainedStreams, int resetStreams) {
    }

    /** Thrown when a rotation cannot start. */
    public static final class RotationRefused extends RuntimeException {
        public RotationRefused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Rotates the device's IP: new streams fail fast with {@code ROTATING} until the agent has drained, run
     * its rotate command and confirmed a new egress IP, or given up and restored the device. Stores the IP
     * the device ends with (a history row tagged with {@code operationId} when it changed). Throws
     * {@link RotationRefused} only when the rotation cannot start ({@code device_offline},
     * {@code rotation_in_progress}). Blocking; call on a virtual thread.
     */
    public Rotation rotate(UUID deviceId, Duration timeout, UUID operationId) {
        Link link = links.get(deviceId);
        TunnelConnection connection = link == null ? null : leastLoaded(link);
        if (connection == null) {
            throw new RotationRefused("device_offline");
        }
        if (!link.rotating.compareAndSet(false, true)) {
            throw new RotationRefused("rotation_in_progress");
        }
        try {
            syncStatus(deviceId, link);
            ControlCallHandler.Answer answer;
            try {
                answer = connection.control("POST", TunnelProtocol.ROTATE_PATH, timeout).join();
            } catch (CompletionException e) {
                boolean lost = !connection.channel().isActive();
                return new Rotation(null, null, false, lost ? "failed" : "timeout", lost ? "tunnel_lost" : "agent_no_answer", 0, 0);
            }
            JsonNode body;
            try {
                body = JSON.readTree(answer.body());
            } catch (IOException e) {
                return new Rotation(null, null, false, "failed", "agent_bad_answer", 0, 0);
            }
            if (answer.status() == 409) {
                throw new RotationRefused("rotation_in_progress");
            }
            String outcome = text(body, "outcome");
            String reason = text(body, "reason");
            if (outcome == null) {
                outcome = answer.status() == 200 ? "succeeded" : "failed";
                reason = answer.status() == 200 ? null : body.path("error").asText("rotation_failed");
            }
            Rotation rotation = new Rotation(text(body, "previous_ip"), text(body, "egress_ip"), "succeeded".equals(outcome),
                    outcome, reason, body.path("drained_streams").asInt(), body.path("reset_streams").asInt());
            if (rotation.egressIp() != null) {
                store.report(deviceId, text(body, "carrier"), rotation.egressIp(), rotation.changed() ? operationId : null);
            }
            return rotation;
        } finally {
            link.rotating.set(false);
            syncStatus(deviceId, link);
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** Closes every tunnel connection. */
    public void closeAll() {
        links.values().forEach(l -> l.connections.forEach(c -> c.channel().close()));
    }
}
