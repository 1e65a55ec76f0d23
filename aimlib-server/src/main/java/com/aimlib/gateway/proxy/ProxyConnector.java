package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreams;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** The part both fronts share: admit a connection for a granted lease, then open its stream through the device. */
final class ProxyConnector {
    final ProxyAccess access;
    private final DeviceStreams streams;
    private final long openTimeoutMillis;

    ProxyConnector(ProxyAccess access, DeviceStreams streams, long openTimeoutMillis) {
        this.access = access;
        this.streams = streams;
        this.openTimeoutMillis = openTimeoutMillis;
    }

    /**
     * Admits {@code client} under {@code grant} and opens a stream to {@code host:port} (resolved on the
     * device). Exactly one of the callbacks runs, on the client's event loop; a stream that arrives after
     * the client left or after the timeout is closed.
     */
    void open(Channel client, ProxyAccess.Grant grant, String host, int port,
              BiConsumer<ProxiedConnection, Channel> onOpen, Consumer<Refusal> onRefused) {
        ProxiedConnection conn = new ProxiedConnection(client, grant.lease(), grant.budget());
        Refusal refused = access.admit(conn);
        if (refused != null) {
            onRefused.accept(refused);
            return;
        }
        CompletableFuture<Channel> opening;
        try {
            opening = streams.open(grant.lease().deviceId, host, port);
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
                client.eventLoop().execute(() -> onRefused.accept(Refusal.of(error)));
                return;
            }
            conn.stream(stream);
            client.eventLoop().execute(() -> {
                if (!client.isActive()) {
                    stream.close();
                    return;
                }
                onOpen.accept(conn, stream);
            });
        });
    }
}
