package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.ErrorBody;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cap on a listener's open connections. It is checked as each accepted connection is set up on its own
 * event loop, so the accepting thread never waits: a connection over the cap gets an immediate 503
 * {@code too_many_connections} with {@code Connection: close} and is closed; connections under it are untouched.
 */
final class ConnectionCap {
    /** Refused connections still lingering for their 503 to be read; beyond this they are closed at once. */
    private static final int MAX_LINGERING = 1024;

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger lingering = new AtomicInteger();
    private final Counter refused;
    private final byte[] refusal;

    ConnectionCap(int max, MeterRegistry meters, String listener) {
        this.max = max;
        this.refusal = refusal(max);
        Gauge.builder("http.server.connections.open", open, AtomicInteger::get).tag("listener", listener).register(meters);
        this.refused = Counter.builder("http.server.connections.refused").tag("listener", listener).register(meters);
    }

    /** True when {@code ch} is admitted (and counted until it closes); false when it is being refused. */
    boolean admit(Channel ch) {
        if (open.incrementAndGet() <= max) {
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            return true;
        }
        open.decrementAndGet();
        refused.increment();
        if (lingering.incrementAndGet() > MAX_LINGERING) {
            lingering.decrementAndGet();
            ch.writeAndFlush(Unpooled.wrappedBuffer(refusal)).addListener(ChannelFutureListener.CLOSE);
            return false;
        }
        ch.closeFuture().addListener(f -> lingering.decrementAndGet());
        ch.pipeline().addLast("refuse", new Refuse());
        return false;
    }

    int open() {
        return open.get();
    }

    /** Writes the 503, half-closes, discards what the client still sends, and closes shortly after. */
    private final class Refuse extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ClosingReply.send(ctx, Unpooled.wrappedBuffer(refusal));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static byte[] refusal(int max) {
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(new ErrorBody(ErrorCode.TOO_MANY_CONNECTIONS,
                    "the server is at its limit of " + max + " open connections; retry shortly"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String head = "HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Retry-After: 1\r\n"
                + "Connection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }
}
