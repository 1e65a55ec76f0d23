package com.aimlib.gateway.tunnel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Opens TCP streams that leave from a device's own network, through the tunnel its agent dialled.
 *
 * <p>The returned channel carries the stream's payload: inbound messages are {@code ByteBuf}s, written
 * {@code ByteBuf}s are sent. Backpressure is the channel's own: turn auto-read off to stop the far side
 * (its flow-control window stops being replenished), and watch writability for the near side. When the
 * far side ends its direction, the channel fires {@link io.netty.channel.socket.ChannelInputShutdownEvent#INSTANCE};
 * {@link #shutdownOutput} ends ours; {@code close()} aborts the stream.
 */
public interface DeviceStreams {

    /**
     * Opens a stream to {@code host:port}; the host name is resolved on the device. Fails with a
     * {@link DeviceStreamException} saying why. The channel comes back with auto-read off, so nothing is
     * delivered before the caller's handlers are in place: add them, then {@code setAutoRead(true)} (or
     * {@code read()}).
     */
    CompletableFuture<Channel> open(UUID deviceId, String host, int port);

    /**
     * As {@link #open(UUID, String, int)}, preferring a path whose stream channel lives on {@code near}
     * (the caller's event loop): payload then never crosses threads. Only a hint.
     */
    default CompletableFuture<Channel> open(UUID deviceId, String host, int port, EventLoop near) {
        return open(deviceId, host, port);
    }

    /**
     * The event loop the next stream of {@code deviceId} will live on when opened with
     * {@code open(..., near)}: {@code near} itself when that loop has a way to the device, another loop
     * when only that one has, null when unknown (the device is offline, or the implementation does
     * not pin streams to loops). A caller that moves its own channel there relays without thread hops.
     */
    default EventLoop streamLoop(UUID deviceId, EventLoop near) {
        return null;
    }

    /** Half-closes: the far side reads end-of-stream, and can still send. */
    static ChannelFuture shutdownOutput(Channel stream) {
        return stream.writeAndFlush(EndOfStream.INSTANCE);
    }

    /** The outbound message that ends our direction of a stream. */
    enum EndOfStream {
        INSTANCE
    }
}
