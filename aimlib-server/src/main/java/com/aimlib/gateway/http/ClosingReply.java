package com.aimlib.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.util.concurrent.TimeUnit;

/**
 * Sends a last response and closes so the client can read it. Closing at once while the client is still
 * sending makes the kernel answer with RST, which can destroy the response before the client reads it. So:
 * send it, half-close, keep reading (and discarding) for a moment, then close.
 */
final class ClosingReply {
    static final long LINGER_MILLIS = 2_000;

    private ClosingReply() {
    }

    static void send(ChannelHandlerContext ctx, FullHttpResponse r) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        send(ctx, (Object) r);
    }

    /** {@code message}: a response the pipeline encodes, or its bytes. */
    static void send(ChannelHandlerContext ctx, Object message) {
        ctx.writeAndFlush(message).addListener(f -> {
            if (!f.isSuccess() || !(ctx.channel() instanceof DuplexChannel duplex)) {
                ctx.close();
                return;
            }
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }
}
