package com.aimlib.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
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

    /**
     * Looks at the browser's small text messages (whole, unmasked); answers true for one the client must not get (the
     * reply to a call the relay itself sent). Called on the event loop.
     */
    interface Watcher {
        boolean dropFromBrowser(ByteBuf payload);
    }

    /** Messages larger than this are never inspected (a new target's attach event and a reply to our call are far smaller). */
    static final int INSPECT_LIMIT = 64 * 1024;

    private final Channel peer;
    private final Activity activity;
    private final FrameHeader header = new FrameHeader();
    private boolean inHeader;
    private long payloadLeft;
    /** Inside a fragmented data message: nothing may be injected until its final frame. */
    private boolean inMessage;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Watcher watcher;
    /** A small text frame split across reads, gathered whole (header included) before it is inspected. */
    private CompositeByteBuf gather;
    private int gatherHeader;
    private long gatherLeft;

    FrameRelay(Channel peer, Activity activity) {
        this.peer = peer;
        this.activity = activity;
    }

    void watch(Watcher w) {
        this.watcher = w;
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
        return !inHeader && payloadLeft == 0 && !inMessage && gather == null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity.traffic();
        if (gather != null) {
            int n = (int) Math.min(gatherLeft, bytes.readableBytes());
            gather.addComponent(true, bytes.readRetainedSlice(n));
            gatherLeft -= n;
            if (gatherLeft > 0) {
                bytes.release();
                return;
            }
            CompositeByteBuf frame = gather;
            gather = null;
            if (watcher.dropFromBrowser(frame.slice(gatherHeader, frame.readableBytes() - gatherHeader))) {
                frame.release();
            } else {
                peer.write(frame, peer.voidPromise());
            }
            flushPending();
        }
        int from = bytes.readerIndex();
        ByteBuf scan = bytes.duplicate();
        while (scan.isReadable()) {
            if (payloadLeft > 0) {
                int n = (int) Math.min(payloadLeft, scan.readableBytes());
                scan.skipBytes(n);
                payloadLeft -= n;
            } else {
                int headerStart = scan.readerIndex();
                boolean carried = inHeader;
                inHeader = true;
                if (!header.read(scan)) {
                    // Never pass half a header: it is kept (in the FrameHeader) and written whole once complete.
                    from = write(bytes, from, headerStart);
                    from = bytes.writerIndex();
                    break;
                }
                inHeader = false;
                payloadLeft = header.length;
                if (!header.control()) {
                    inMessage = !header.fin;
                }
                int payloadStart = scan.readerIndex();
                // A header begun in an earlier read has not been written: its bytes are in the FrameHeader.
                byte[] carriedHeader = carried ? header.bytes() : null;
                boolean inspect = watcher != null && header.opcode == 1 && header.fin && header.length <= INSPECT_LIMIT;
                header.reset();
                if (carried) {
                    from = write(bytes, from, headerStart);
                    from = payloadStart;
                }
                if (!inspect) {
                    if (carried) {
                        peer.write(Unpooled.wrappedBuffer(carriedHeader), peer.voidPromise());
                    }
                } else if (scan.readableBytes() >= payloadLeft) {
                    int len = (int) payloadLeft;
                    boolean drop = watcher.dropFromBrowser(scan.slice(payloadStart, len));
                    scan.skipBytes(len);
                    payloadLeft = 0;
                    if (drop) {
                        from = write(bytes, from, carried ? payloadStart : headerStart);
                        from = scan.readerIndex();
                    } else if (carried) {
                        peer.write(Unpooled.wrappedBuffer(carriedHeader), peer.voidPromise());
                    }
                } else {
                    // The rest of this message comes in later reads: gather it whole, then judge it.
                    write(bytes, from, carried ? payloadStart : headerStart);
                    gather = ctx.alloc().compositeBuffer();
                    gather.addComponent(true, carried ? Unpooled.wrappedBuffer(carriedHeader)
                            : bytes.retainedSlice(headerStart, payloadStart - headerStart));
                    gather.addComponent(true, bytes.retainedSlice(payloadStart, scan.writerIndex() - payloadStart));
                    gatherHeader = carried ? carriedHeader.length : payloadStart - headerStart;
                    gatherLeft = payloadLeft - scan.readableBytes();
                    payloadLeft = 0;
                    from = bytes.writerIndex();
                    break;
                }
            }
            if (atBoundary() && !pending.isEmpty()) {
                from = write(bytes, from, scan.readerIndex());
                flushPending();
            }
        }
        if (from == bytes.readerIndex()) {
            peer.write(bytes, peer.voidPromise());
        } else {
            write(bytes, from, bytes.writerIndex());
            bytes.release();
        }
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Writes bytes [from, to) of {@code bytes} to the peer; answers {@code to}. */
    private int write(ByteBuf bytes, int from, int to) {
        if (to > from) {
            peer.write(bytes.retainedSlice(from, to - from), peer.voidPromise());
        }
        return to;
    }

    private void flushPending() {
        while (!pending.isEmpty()) {
            peer.write(pending.poll(), peer.voidPromise());
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
        if (gather != null) {
            gather.release();
            gather = null;
        }
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
