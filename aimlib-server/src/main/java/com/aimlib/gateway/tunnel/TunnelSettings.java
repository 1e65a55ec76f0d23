package com.aimlib.gateway.tunnel;

import io.netty.channel.WriteBufferWaterMark;
import java.time.Duration;

/**
 * HTTP/2 tuning shared by both ends of a tunnel. The windows are sized for mobile round trips: at
 * 100 ms RTT a 64 KiB window caps one stream at ~5 Mbit/s, a 4 MiB one at ~330 Mbit/s. The connection
 * window bounds what one tunnel connection can buffer at the receiver whatever the number of streams.
 */
public record TunnelSettings(
        int streamWindow,
        int connectionWindow,
        int maxFrameSize,
        int maxConcurrentStreams,
        Duration pingInterval,
        Duration deadAfter,
        Duration handshakeTimeout,
        Duration streamSetupTimeout) {

    public static TunnelSettings defaults() {
        return new TunnelSettings(4 << 20, 16 << 20, 256 << 10, 10_000,
                Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /**
     * How much a tunnel connection and each stream may queue locally before they report unwritable. The
     * 64 KiB Netty default makes a bulk stream stop and go at every event-loop turn; flow-control windows,
     * not these marks, bound what is in flight.
     */
    public WriteBufferWaterMark connectionWaterMark() {
        return new WriteBufferWaterMark(1 << 20, 2 << 20);
    }

    public WriteBufferWaterMark streamWaterMark() {
        return new WriteBufferWaterMark(512 << 10, 1 << 20);
    }

    public TunnelSettings withKeepAlive(Duration ping, Duration dead) {
        return new TunnelSettings(streamWindow, connectionWindow, maxFrameSize, maxConcurrentStreams, ping, dead,
                handshakeTimeout, streamSetupTimeout);
    }

    public TunnelSettings withWindows(int stream, int connection) {
        return new TunnelSettings(stream, connection, maxFrameSize, maxConcurrentStreams, pingInterval, deadAfter,
                handshakeTimeout, streamSetupTimeout);
    }
}
