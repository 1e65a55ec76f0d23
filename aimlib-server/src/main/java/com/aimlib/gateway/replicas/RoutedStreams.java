package com.aimlib.gateway.replicas;

import com.aimlib.gateway.tunnel.DeviceStreamException;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.gateway.tunnel.DeviceTunnels;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy front's {@link DeviceStreams} with several replicas: a device whose tunnel this replica holds is
 * reached directly; otherwise the live replica holding it is looked up in {@code device_tunnel_presence} (on a
 * virtual thread, never on the event loop) and the stream is opened through its {@link PeerLink}. A device no
 * live replica holds is {@code DEVICE_OFFLINE}; one its holder is rotating is {@code ROTATING}.
 */
public final class RoutedStreams implements DeviceStreams {
    private final DeviceTunnels local;
    private final Replicas replicas;
    private final PeerLink link;
    private final ExecutorService blocking;
    private final EventLoopGroup workers;
    private final LongAdder routed = new LongAdder();

    public RoutedStreams(DeviceTunnels local, Replicas replicas, PeerLink link, ExecutorService blocking, EventLoopGroup workers) {
        this.local = local;
        this.replicas = replicas;
        this.link = link;
        this.blocking = blocking;
        this.workers = workers;
    }

    @Override
    public CompletableFuture<Channel> open(UUID deviceId, String host, int port) {
        return open(deviceId, host, port, null);
    }

    @Override
    public CompletableFuture<Channel> open(UUID deviceId, String host, int port, EventLoop near) {
        if (local.online(deviceId) || !valid(host, port)) {
            return local.open(deviceId, host, port, near);
        }
        EventLoop loop = near != null ? near : workers.next();
        Cached hit = holders.get(deviceId);
        if (hit != null && System.nanoTime() - hit.at < HOLDER_TTL_NANOS) {
            // A holder looked up within the last second: no database round trip; if it no longer holds the
            // device, look again once.
            return through(hit.holder, deviceId, host, port, loop).exceptionallyCompose(e -> {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                if (!(cause instanceof DeviceStreamException d) || d.reason() != DeviceStreamException.Reason.DEVICE_OFFLINE) {
                    return CompletableFuture.failedFuture(cause);
                }
                holders.remove(deviceId, hit);
                return lookUpAndOpen(deviceId, host, port, near, loop);
            });
        }
        return lookUpAndOpen(deviceId, host, port, near, loop);
    }

    private static final long HOLDER_TTL_NANOS = 1_000_000_000L;

    private record Cached(Replicas.Holder holder, long at) {
    }

    private final java.util.Map<UUID, Cached> holders = new java.util.concurrent.ConcurrentHashMap<>();

    private CompletableFuture<Channel> lookUpAndOpen(UUID deviceId, String host, int port, EventLoop near, EventLoop loop) {
        return CompletableFuture.supplyAsync(() -> replicas.holder(deviceId), blocking).thenCompose(holder -> {
            if (holder.isEmpty()) {
                holders.remove(deviceId);
                // It may have dialled this replica meanwhile.
                return local.open(deviceId, host, port, near);
            }
            holders.put(deviceId, new Cached(holder.get(), System.nanoTime()));
            if (holders.size() > 100_000) {
                holders.clear();
            }
            return through(holder.get(), deviceId, host, port, loop);
        });
    }

    private CompletableFuture<Channel> through(Replicas.Holder holder, UUID deviceId, String host, int port, EventLoop loop) {
        if (holder.rotating()) {
            return CompletableFuture.failedFuture(new DeviceStreamException(DeviceStreamException.Reason.ROTATING, "the device is rotating its IP"));
        }
        routed.increment();
        return link.open(address(holder.peerAddress()), deviceId, host, port, loop);
    }

    @Override
    public EventLoop streamLoop(UUID deviceId, EventLoop near) {
        return local.streamLoop(deviceId, near);
    }

    /** Streams opened through another replica since start. */
    public long routed() {
        return routed.sum();
    }

    private static boolean valid(String host, int port) {
        return host != null && !host.isEmpty() && host.length() <= 255 && port >= 1 && port <= 65535
                && host.chars().noneMatch(c -> c <= ' ' || c >= 127 || c == '/' || c == '@');
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String h = hostPort.substring(0, colon);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return new InetSocketAddress(h, Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
