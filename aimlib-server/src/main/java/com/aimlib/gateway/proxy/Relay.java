package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreams;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pumps bytes one way, from the channel it sits on to its peer, charging each buffer before it is
 * forwarded. Backpressure: when the peer's outbound buffer passes its high-water mark this side stops
 * reading until the peer drains. Half-close: end-of-input here becomes end-of-output on the peer; when
 * both directions have ended, or either side closes, both close.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    private static final int UP_DONE = 1;
    private static final int DOWN_DONE = 2;
    /**
     * Bytes queued towards a side before the other side stops reading. Netty's 32/64 KiB default makes
     * a bulk transfer toggle reading every few buffers; 256 KiB keeps the pump busy and bounds what one
     * connection can hold per direction.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);

    private final ProxiedConnection conn;
    private final Channel peer;
    private final boolean up;
    private final AtomicInteger halves;
    /** The relay of the other direction: its input may have ended, and then nobody may wake it up. */
    private Relay opposite;
    private volatile boolean inputShut;

    private Relay(ProxiedConnection conn, Channel peer, boolean up, AtomicInteger halves) {
        this.conn = conn;
        this.peer = peer;
        this.up = up;
        this.halves = halves;
    }

    /**
     * Joins the client channel (its proxy handshake handlers already removed) to the device stream.
     * {@code early} are client bytes that arrived before the stream was open, sent first;
     * {@code clientInputEnded} says the client already half-closed. Call on the client's event loop.
     */
    static void join(ProxiedConnection conn, Channel stream, List<ByteBuf> early, boolean clientInputEnded) {
        Channel client = conn.client;
        AtomicInteger halves = new AtomicInteger();
        Relay upRelay = new Relay(conn, stream, true, halves);
        Relay downRelay = new Relay(conn, client, false, halves);
        upRelay.opposite = downRelay;
        downRelay.opposite = upRelay;
        client.config().setWriteBufferWaterMark(WATER_MARK);
        stream.config().setWriteBufferWaterMark(WATER_MARK);
        stream.pipeline().addLast("relay", downRelay);
        client.pipeline().addLast("relay", upRelay);
        for (ByteBuf b : early) {
            upRelay.forward(b);
        }
        early.clear();
        stream.flush();
        if (clientInputEnded) {
            upRelay.inputShut = true;
            upRelay.inputEnded();
        }
        client.config().setAutoRead(true);
        client.read();
        stream.config().setAutoRead(true);
        stream.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        forward(buf);
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // The peer may have drained between the check and the switch; its event would be lost.
            if (peer.isWritable() && !inputShut) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    private void forward(ByteBuf buf) {
        int n = buf.readableBytes();
        if (n == 0) {
            buf.release();
            return;
        }
        int granted = conn.charge(n, up);
        if (granted == 0) {
            buf.release();
        } else {
            if (granted < n) {
                buf.writerIndex(buf.readerIndex() + granted);
            }
            peer.write(buf, peer.voidPromise());
        }
        // After the write: finishing flushes the peer, and the granted slice must be in its queue by then.
        if (granted < n || conn.budget.spent()) {
            ProxiedConnection.finishAllOf(conn.budget);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Our channel drained: let the peer read again (it stopped when we became unwritable) — unless
        // its input already ended: re-arming reads on a finished socket fails (epoll_ctl ENOENT).
        // The check runs on the peer's loop, where its input-shutdown is handled, so it cannot race.
        if (ctx.channel().isWritable()) {
            peer.eventLoop().execute(() -> {
                if (!opposite.inputShut && peer.isActive()) {
                    peer.config().setAutoRead(true);
                }
            });
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            inputShut = true;
            inputEnded();
        }
        ReferenceCountUtil.release(evt);
    }

    private void inputEnded() {
        // Pending writes must drain before the peer's output ends: a socket's shutdownOutput drops them.
        ChannelFuture drained = up ? DeviceStreams.shutdownOutput(peer) : peer.writeAndFlush(Unpooled.EMPTY_BUFFER);
        drained.addListener(f -> {
            boolean bothEnded = halves.accumulateAndGet(up ? UP_DONE : DOWN_DONE, (a, b) -> a | b) == (UP_DONE | DOWN_DONE);
            // With both directions over, the close below ends the client's output: a half-close first
            // would only cost a syscall (and Netty builds an exception for every shutdownOutput).
            if (!up && !bothEnded) {
                if (f.isSuccess() && peer instanceof DuplexChannel d) {
                    d.shutdownOutput();
                } else {
                    peer.close();
                }
            }
            if (bothEnded) {
                conn.close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("proxy relay error side={} error={}", up ? "client" : "device", cause.toString());
        if (up) {
            conn.close();
        } else {
            // What the device already delivered is the client's: hand it over, then close.
            ctx.close();
            conn.client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
