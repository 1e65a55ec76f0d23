package com.aimlib.gateway.tunnel;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2PingFrame;
import java.util.concurrent.TimeUnit;

/**
 * The tunnel's round-trip time, from HTTP/2 PING acknowledgements: every PING the gateway sends (the
 * keep-alive's and {@link TunnelConnection#ping()}) carries {@link System#nanoTime()}, and the agent echoes
 * it in the ACK. Sits after the HTTP/2 codec; passes every frame on.
 */
final class RttMeter extends ChannelInboundHandlerAdapter {
    static final String NAME = "rtt";
    private static final long MAX_NANOS = TimeUnit.MINUTES.toNanos(1);
    private volatile long lastNanos = -1;
    private volatile long measuredAt;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2PingFrame ping && ping.ack()) {
            long rtt = System.nanoTime() - ping.content();
            if (rtt >= 0 && rtt < MAX_NANOS) {
                lastNanos = rtt;
                measuredAt = System.nanoTime();
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The last round trip in nanoseconds, or -1 before the first ACK. */
    long lastNanos() {
        return lastNanos;
    }

    /** {@link System#nanoTime()} of the last measurement. */
    long measuredAt() {
        return measuredAt;
    }
}
