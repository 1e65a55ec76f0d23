package com.aimlib.net.tunnel;

import com.aimlib.net.EventLoops;
import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http2.DefaultHttp2LocalFlowController;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.net.InetAddress;
import java.time.Duration;

/**
 * HTTP/2 tuning shared by both ends of a tunnel. The windows are sized for mobile round trips: at
 * 100 ms RTT a 64 KiB window caps one stream at ~5 Mbit/s; of an 8 MiB one 6 MiB can be in flight
 * ({@link #WINDOW_UPDATE_RATIO}), ~500 Mbit/s, what a direct TCP connection reaches under Linux's default 6 MiB
 * receive-buffer ceiling (measured across an emulated link: bench/tunnel/RttBench.java, docs/benchmarks.md).
 * The connection window bounds what one tunnel connection can buffer at the receiver whatever the number
 * of streams.
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
        return new TunnelSettings(8 << 20, 32 << 20, 1 << 20, 10_000,
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

    /**
     * When a receiver returns credit: Netty sends a WINDOW_UPDATE once a window has dropped to this share of its
     * initial size. A sender can keep only that share in flight without stalling for credit, so at Netty's default
     * (0.5) one stream moved at most 2 MiB per round trip: ~170 Mbit/s at 100 ms RTT, a 400 Mbit/s link 0.42 of a
     * direct TCP transfer (bench/tunnel/RttBench.java). At 0.75 it is 3 MiB (~250 Mbit/s at 100 ms), for one
     * WINDOW_UPDATE per MiB read; the windows, and so what a stream may buffer, stay the same.
     */
    public static final float WINDOW_UPDATE_RATIO = 0.75f;

    /** Unsent bytes a tunnel socket may hold in the kernel ({@link EventLoops#limitUnsent}). */
    public static final int UNSENT_LIMIT = 128 << 10;

    /**
     * The socket options of a tunnel connection, the same at both ends: at most {@link #UNSENT_LIMIT} unsent in
     * the kernel, and CUBIC when {@code peer} is on this host ({@link EventLoops#unpacedOnLoopback}).
     */
    public static void tuneSocket(Channel ch, InetAddress peer) {
        EventLoops.limitUnsent(ch, UNSENT_LIMIT);
        EventLoops.unpacedOnLoopback(ch, peer);
    }

    /** Applies {@link #WINDOW_UPDATE_RATIO} to a codec's receive side, its streams and the connection; on its event loop, once in the pipeline. */
    public static void tuneFlowControl(Http2FrameCodec codec) {
        DefaultHttp2LocalFlowController local = (DefaultHttp2LocalFlowController) codec.connection().local().flowController();
        local.windowUpdateRatio(WINDOW_UPDATE_RATIO);
        try {
            local.windowUpdateRatio(codec.connection().connectionStream(), WINDOW_UPDATE_RATIO);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
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
