package com.aimlib.agent;

import com.aimlib.net.EventLoops;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The device agent role: one process serving one or more devices, each with its own pool of tunnel
 * connections to the gateway and its own egress binding. {@link #close} is graceful (GOAWAY, in-flight
 * streams finish within the drain timeout).
 */
public final class Agent implements AutoCloseable {
    private final EventLoopGroup group;
    private final ExecutorService blocking;
    private final Map<UUID, DeviceAgent> devices;
    private final AgentSettings settings;

    private Agent(EventLoopGroup group, ExecutorService blocking, Map<UUID, DeviceAgent> devices, AgentSettings settings) {
        this.group = group;
        this.blocking = blocking;
        this.devices = devices;
        this.settings = settings;
    }

    /** Starts serving {@code devices} through the gateway's tunnel endpoint at {@code host:port}. */
    public static Agent start(String host, int port, boolean tls, List<DeviceConfig> devices, AgentSettings settings, int threads)
            throws IOException {
        SslContext ssl = tls ? SslContextBuilder.forClient().build() : null;
        EventLoopGroup group = EventLoops.group(threads, "agent-io");
        ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("agent-", 0).factory());
        InetSocketAddress gateway = new InetSocketAddress(host, port);
        Map<UUID, DeviceAgent> byId = new LinkedHashMap<>();
        try {
            for (DeviceConfig d : devices) {
                DeviceAgent agent = new DeviceAgent(d, settings, gateway, ssl, group, blocking);
                byId.put(d.id(), agent);
                agent.start();
            }
        } catch (IOException | RuntimeException e) {
            byId.values().forEach(DeviceAgent::abort);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            blocking.shutdownNow();
            throw e;
        }
        return new Agent(group, blocking, byId, settings);
    }

    /** How many tunnel connections of the device are up. */
    public int connected(UUID deviceId) {
        DeviceAgent d = devices.get(deviceId);
        return d == null ? 0 : d.connectedCount();
    }

    /** Streams the device has open to targets right now. */
    public int activeStreams(UUID deviceId) {
        DeviceAgent d = devices.get(deviceId);
        return d == null ? 0 : d.activeStreams();
    }

    /** Why the last dial of the device failed, if it did (no secrets). */
    public String lastFailure(UUID deviceId) {
        DeviceAgent d = devices.get(deviceId);
        return d == null ? null : d.lastFailure();
    }

    /** Drops every connection at once, as if the process died. */
    public void abort() {
        devices.values().forEach(DeviceAgent::abort);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        devices.values().forEach(d -> closing.add(d.close()));
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(settings.drainTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // Whatever is still open now is cut by the event loop shutdown below.
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
    }
}
