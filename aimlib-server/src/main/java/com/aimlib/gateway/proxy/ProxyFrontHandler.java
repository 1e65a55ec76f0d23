package com.aimlib.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the SOCKS5 and HTTP proxy fronts share: the handshake deadline, client bytes that arrive
 * before the device stream is open, and the hand-over from the handshake to a {@link Relay}.
 */
abstract class ProxyFrontHandler extends ChannelInboundHandlerAdapter {
    /** Client bytes accepted after the request but before the stream is open. */
    static final int MAX_EARLY_BYTES = 64 * 1024;

    final ProxyConnector connector;
    private final long handshakeTimeoutMillis;
    private final List<ByteBuf> early = new ArrayList<>();
    private int earlyBytes;
    /** The client half-closed before the relay was in place: the relay ends the stream's output at once. */
    boolean clientInputEnded;
    private ScheduledFuture<?> handshakeTimer;

    ProxyFrontHandler(ProxyConnector connector, long handshakeTimeoutMillis) {
        this.connector = connector;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /** The handshake deadline passed and the relay is not in place yet. Runs on the channel's loop. */
    abstract void handshakeExpired(ChannelHandlerContext ctx);

    /** Moves the front's own state machine to closed. */
    abstract void markClosed();

    /** Gives up on the connection: closed state, no early bytes kept, the client channel closed. */
    void close(ChannelHandlerContext ctx) {
        markClosed();
        releaseEarly();
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        startHandshakeTimer(ctx);
        ctx.fireChannelActive();
    }

    /** Installed on a connection that is already active (by the unified port's detector): the deadline starts now. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            startHandshakeTimer(ctx);
        }
    }

    private void startHandshakeTimer(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            return;
        }
        // The channel may move to another event loop while its stream opens (see ProxyConnector):
        // the deadline's work runs on whichever loop the channel is on by then.
        handshakeTimer = ctx.executor().schedule(() -> ProxyConnector.onLoop(ctx.channel(), () -> handshakeExpired(ctx)),
                handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    void cancelHandshakeTimer() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
    }

    /** Keeps a client buffer (ours now) for the stream; false when too much has piled up. */
    boolean keepEarly(ByteBuf b) {
        early.add(b);
        earlyBytes += b.readableBytes();
        return earlyBytes <= MAX_EARLY_BYTES;
    }

    /** Takes the kept buffers out, in order. */
    List<ByteBuf> takeEarly() {
        List<ByteBuf> taken = new ArrayList<>(early);
        early.clear();
        earlyBytes = 0;
        return taken;
    }

    void releaseEarly() {
        for (ByteBuf b : early) {
            b.release();
        }
        early.clear();
        earlyBytes = 0;
    }

    /**
     * The stream is open: sends {@code reply} (the front's success answer; a buffer or a message its
     * encoder still in place understands), takes the handshake handlers named {@code handshake} and this
     * one out of the pipeline, and joins the client to the stream. {@code first} (may be null) goes to
     * the stream ahead of the early bytes.
     */
    void relay(ChannelHandlerContext ctx, ProxiedConnection conn, Channel stream, Object reply, ByteBuf first, String... handshake) {
        cancelHandshakeTimer();
        if (reply != null) {
            ctx.writeAndFlush(reply);
        }
        List<ByteBuf> payload = takeEarly();
        if (first != null) {
            payload.addFirst(first);
        }
        ChannelPipeline p = ctx.pipeline();
        for (String name : handshake) {
            p.remove(name);
        }
        p.remove(this);
        Relay.join(conn, stream, payload, clientInputEnded);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        cancelHandshakeTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }
}
