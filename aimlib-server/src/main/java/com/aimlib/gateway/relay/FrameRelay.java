package com.aimlib.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The browser → client direction of a CDP relay, after both WebSocket handshakes are done. The frame codecs are
 * taken out of both pipelines, so the frames pass byte for byte as they arrive: no message reassembly, no frame
 * size limit, no copy. This is valid WebSocket on both legs because the browser's frames are unmasked (as the
 * client requires of its server) and no extension is negotiated on either leg. Reading stops while the other side
 * is not writable.
 *
 * <p>Only frame headers are read, to know where messages end: that is where the relay's own answers to refused
 * calls ({@link #inject}) go, never inside a browser message.
 */
final class FrameRelay extends ChannelInboundHandlerAdapter {
    /** Told about traffic (keeps the session from going idle) and about the end of the connection. */
    interface Activity {
        void traffic();

        void closed();
    }

    private final Channel peer;
    private final Activity activity;
    private final FrameHeader header = new FrameHeader();
    private boolean inHeader;
    private long payloadLeft;
    /** Inside a fragmented data message: nothing may be injected until its final frame. */
    private boolean inMessage;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();

    FrameRelay(Channel peer, Activity activity) {
        this.peer = peer;
        this.activity = activity;
    }

    /** Sends a whole frame to the peer at the next message boundary of this direction (called on the event loop). */
    void inject(ByteBuf frame) {
        if (atBoundary() && pending.isEmpty()) {
            peer.writeAndFlush(frame, peer.voidPromise());
        } else {
            pending.add(frame);
        }
    }

    private boolean atBoundary() {
        return !inHeader && payloadLeft == 0 && !inMessage;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity.traffic();
        int from = bytes.readerIndex();
        ByteBuf scan = bytes.duplicate();
        while (scan.isReadable()) {
            if (payloadLeft > 0) {
                int n = (int) Math.min(payloadLeft, scan.readableBytes());
                scan.skipBytes(n);
                payloadLeft -= n;
            } else {
                inHeader = true;
                if (!header.read(scan)) {
                    break;
                }
                inHeader = false;
                payloadLeft = header.length;
                header.reset();
                if (!header.control()) {
                    inMessage = !header.fin;
                }
            }
            if (atBoundary() && !pending.isEmpty()) {
                peer.write(bytes.retainedSlice(from, scan.readerIndex() - from), peer.voidPromise());
                from = scan.readerIndex();
                while (!pending.isEmpty()) {
                    peer.write(pending.poll(), peer.voidPromise());
                }
            }
        }
        if (from == bytes.readerIndex()) {
            peer.write(bytes, peer.voidPromise());
        } else {
            if (from < bytes.writerIndex()) {
                peer.write(bytes.retainedSlice(from, bytes.writerIndex() - from), peer.voidPromise());
            }
            bytes.release();
        }
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
        pending.forEach(ReferenceCountUtil::safeRelease);
        pending.clear();
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
