package com.aimlib.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of a CDP relay, after both WebSocket handshakes are done. The frame codecs are taken
 * out of both pipelines, so the frames pass byte for byte as they arrive: no message reassembly, no
 * frame size limit, no copy. This is valid WebSocket on both legs because the client's frames are
 * already masked (as the browser requires of its client) and the browser's are unmasked (as the
 * client requires of its server), and no extension is negotiated on either leg. Reading stops while
 * the other side is not writable.
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
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity.traffic();
        peer.write(bytes, peer.voidPromise());
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
