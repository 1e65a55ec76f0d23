package com.aimlib.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The agent's socket to the target: what it reads becomes DATA frames on the stream (reading pauses while
 * the stream has no flow-control window); its EOF becomes END_STREAM; an abort resets the stream.
 */
final class TargetHandler extends ChannelInboundHandlerAdapter {
    private final Channel stream;
    private boolean outputEnded;

    TargetHandler(Channel stream) {
        this.stream = stream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || outputEnded) {
            ReferenceCountUtil.release(msg);
            return;
        }
        stream.write(new DefaultHttp2DataFrame(buf));
        if (!stream.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        stream.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent && !outputEnded) {
            outputEnded = true;
            stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        AgentStreamHandler h = stream.pipeline().get(AgentStreamHandler.class);
        if (h != null) {
            h.targetWritabilityChanged(stream);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (stream.isActive()) {
            // Both directions done is a normal end; the stream closes itself once the gateway's END_STREAM
            // arrived. After a clean EOF (END_STREAM already queued) the socket closing is no abort either:
            // resetting the stream now would drop the DATA frames still waiting for flow-control window
            // (the tail of a download). Anything else is an abort the gateway must see as one.
            stream.flush();
            if (!outputEnded) {
                stream.close();
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
