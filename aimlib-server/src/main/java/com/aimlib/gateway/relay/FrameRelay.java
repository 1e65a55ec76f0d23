package com.aimlib.gateway.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of a CDP relay: WebSocket frames are passed on as they arrive (continuation frames
 * included, no message reassembly), and reading stops while the other side is not writable.
 */
final class FrameRelay extends ChannelInboundHandlerAdapter {
    /** Told about traffic (keeps the session from going idle) and about the end of the connection. */
    interface Activity {
        void traffic();

        void closed();
    }

    private final Channel peer;
    private final Activity activity;

    FrameRelay(Channel peer, Activity activity) {
        this.peer = peer;
        this.activity = activity;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity.traffic();
        if (frame instanceof CloseWebSocketFrame) {
            peer.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
            ctx.close();
            return;
        }
        peer.write(frame, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        activity.closed();
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
