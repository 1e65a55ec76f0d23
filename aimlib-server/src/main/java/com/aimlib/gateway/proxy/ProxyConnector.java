package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The part both fronts share: admit a connection for a granted lease, then open its stream through the device.
 * Each refusal it decides is counted by its error code ({@code aimlib_proxy_refused_total{reason=…}}).
 */
final class ProxyConnector {
    final ProxyAccess access;
    private final DeviceStreams streams;
    private final long openTimeoutMillis;
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);

    ProxyConnector(ProxyAccess access, DeviceStreams streams, long openTimeoutMillis, MeterRegistry meters) {
        this.access = access;
        this.streams = streams;
        this.openTimeoutMillis = openTimeoutMillis;
        for (Refusal r : Refusal.values()) {
            refused.put(r, Counter.builder("aimlib.proxy.refused").tag("reason", r.code)
                    .description("Proxied connections refused, by the error code the customer got").register(meters));
        }
    }

    /**
     * Admits {@code client} under {@code grant} and opens a stream to {@code host:port} (resolved on the
     * device). The client must not be reading (auto-read off). When the device's stream will live on
     * another event loop than the client, the client channel moves to that loop first, so the relay
     * never crosses threads. Exactly one of the callbacks runs, on the client's (possibly new) event
     * loop — unless the client closes while it moves, which its own channelInactive reports; a stream
     * that arrives after the client left or after the timeout is closed.
     */
    void open(Channel client, ProxyAccess.Grant grant, String host, int port,
              BiConsumer<ProxiedConnection, Channel> onOpen, Consumer<Refusal> refusedCallback) {
        Consumer<Refusal> onRefused = r -> {
            refused.get(r).increment();
            refusedCallback.accept(r);
        };
        ProxiedConnection conn = new ProxiedConnection(client, grant.lease(), grant.budget());
        Refusal refused = access.admit(conn);
        if (refused != null) {
            onRefused.accept(refused);
            return;
        }
        EventLoop home = streams.streamLoop(grant.lease().deviceId, client.eventLoop());
        if (home == null || home == client.eventLoop()) {
            openStream(conn, grant, host, port, onOpen, onRefused);
            return;
        }
        // Deregister, then register with the stream's loop. Registration fires no channelActive again
        // and starts no read while auto-read is off; a client that closed meanwhile fails to register.
        client.deregister().addListener(d -> {
            if (!d.isSuccess()) {
                client.close();
                return;
            }
            home.register(client).addListener(r -> {
                if (!r.isSuccess()) {
                    client.close();
                    return;
                }
                openStream(conn, grant, host, port, onOpen, onRefused);
            });
        });
    }

    private void openStream(ProxiedConnection conn, ProxyAccess.Grant grant, String host, int port,
                            BiConsumer<ProxiedConnection, Channel> onOpen, Consumer<Refusal> onRefused) {
        Channel client = conn.client;
        CompletableFuture<Channel> opening;
        try {
            opening = streams.open(grant.lease().deviceId, host, port, client.eventLoop());
        } catch (RuntimeException e) {
            opening = CompletableFuture.failedFuture(e);
        }
        AtomicBoolean decided = new AtomicBoolean();
        var timer = client.eventLoop().schedule(() -> {
            if (decided.compareAndSet(false, true)) {
                onRefused.accept(Refusal.TIMEOUT);
            }
        }, openTimeoutMillis, TimeUnit.MILLISECONDS);
        opening.whenComplete((stream, error) -> {
            if (stream != null) {
                // No payload may be read before the relay is in place.
                stream.config().setAutoRead(false);
            }
            if (!decided.compareAndSet(false, true)) {
                if (stream != null) {
                    stream.close();
                }
                return;
            }
            timer.cancel(false);
            if (error != null) {
                onLoop(client, () -> onRefused.accept(Refusal.of(error)));
                return;
            }
            conn.stream(stream);
            onLoop(client, () -> {
                if (!client.isActive()) {
                    stream.close();
                    return;
                }
                onOpen.accept(conn, stream);
            });
        });
    }

    /** Runs {@code task} on the channel's event loop: at once when already there. */
    static void onLoop(Channel channel, Runnable task) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}
