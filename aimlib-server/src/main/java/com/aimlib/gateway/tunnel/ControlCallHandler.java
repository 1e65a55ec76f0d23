package com.aimlib.gateway.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Collects the answer of a control stream ({@code /agent/v1/*}): a status and a small JSON body. */
final class ControlCallHandler extends ChannelInboundHandlerAdapter {
    static final int MAX_BODY = 64 * 1024;

    /** What the agent answered. */
    record Answer(int status, String body) {
    }

    private final CompletableFuture<Answer> result;
    private final ByteBuf body = Unpooled.buffer();
    private int status = -1;

    ControlCallHandler(CompletableFuture<Answer> result) {
        this.result = result;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            boolean end = false;
            if (msg instanceof Http2HeadersFrame headers) {
                if (status < 0) {
                    CharSequence s = headers.headers().status();
                    status = s == null ? 0 : parse(s);
                }
                end = headers.isEndStream();
            } else if (msg instanceof Http2DataFrame data) {
                if (body.readableBytes() + data.content().readableBytes() > MAX_BODY) {
                    result.completeExceptionally(new IllegalStateException("control answer too large"));
                    ctx.close();
                    return;
                }
                body.writeBytes(data.content());
                end = data.isEndStream();
            }
            if (end) {
                result.complete(new Answer(status, body.toString(StandardCharsets.UTF_8)));
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static int parse(CharSequence s) {
        try {
            return Integer.parseInt(s.toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        body.release();
        result.completeExceptionally(new IllegalStateException("control stream closed before the agent answered"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.completeExceptionally(cause);
        ctx.close();
    }
}
