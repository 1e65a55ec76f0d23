package com.aimlib.gateway.proxy;

import com.aimlib.gateway.auth.LoginThrottle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;

/**
 * The SOCKS5 front (RFC 1928 CONNECT, RFC 1929 username/password, nothing else): greeting, password
 * check, request, then a {@link Relay} to the device stream. Every refusal is the protocol's own reply
 * followed by a close.
 */
final class Socks5FrontHandler extends ProxyFrontHandler {
    /** RFC 1929 allows any non-zero status; 0x01 is what clients and Dante use (Netty's constant is 0xFF). */
    private static final Socks5PasswordAuthStatus AUTH_FAILURE = Socks5PasswordAuthStatus.valueOf((byte) 1);

    private enum State { GREETING, AUTH, CHECKING, REQUEST, OPENING, RELAYING, CLOSED }

    private State state = State.GREETING;
    private ProxyAccess.Grant grant;

    Socks5FrontHandler(ProxyConnector connector, long handshakeTimeoutMillis) {
        super(connector, handshakeTimeoutMillis);
    }

    /** Sets up a fresh SOCKS5 connection's pipeline. */
    static void install(ChannelPipeline p, ProxyConnector connector, long handshakeTimeoutMillis) {
        p.addLast("socks-encoder", Socks5ServerEncoder.DEFAULT);
        p.addLast("socks-decoder", new Socks5InitialRequestDecoder());
        p.addLast("socks-front", new Socks5FrontHandler(connector, handshakeTimeoutMillis));
    }

    @Override
    void handshakeExpired(ChannelHandlerContext ctx) {
        if (state != State.RELAYING) {
            close(ctx);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            switch (msg) {
                case Socks5InitialRequest greeting when state == State.GREETING -> greeting(ctx, greeting);
                case Socks5PasswordAuthRequest auth when state == State.AUTH -> auth(ctx, auth);
                case Socks5CommandDecoder.Failure f when state == State.REQUEST -> refuse(ctx, f.status());
                case Socks5CommandDecoder.Connect c when state == State.REQUEST -> connect(ctx, c);
                case ByteBuf b -> bytes(ctx, b.retain());
                default -> close(ctx);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void greeting(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
        if (greeting.decoderResult().isFailure()) {
            close(ctx);
            return;
        }
        if (!greeting.authMethods().contains(Socks5AuthMethod.PASSWORD)) {
            ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED)).addListener(ChannelFutureListener.CLOSE);
            state = State.CLOSED;
            return;
        }
        state = State.AUTH;
        ctx.pipeline().replace("socks-decoder", "socks-decoder", new Socks5PasswordAuthRequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.PASSWORD));
    }

    private void auth(ChannelHandlerContext ctx, Socks5PasswordAuthRequest auth) {
        if (auth.decoderResult().isFailure()) {
            authFailed(ctx);
            return;
        }
        state = State.CHECKING;
        CompletableFuture<ProxyAccess.Grant> check = connector.access.authenticate(auth.username(), auth.password(),
                LoginThrottle.source(com.aimlib.net.ClientAddress.of(ctx.channel())), ctx.executor());
        if (check.isDone()) {
            // Answered from the cache: no pause in reading (each pause and resume is an epoll_ctl).
            authenticated(ctx, check.join());
            return;
        }
        ctx.channel().config().setAutoRead(false);
        check.thenAccept(g -> {
            if (ctx.executor().inEventLoop()) {
                authenticated(ctx, g);
            } else {
                ctx.executor().execute(() -> authenticated(ctx, g));
            }
        });
    }

    private void authenticated(ChannelHandlerContext ctx, ProxyAccess.Grant g) {
        if (state != State.CHECKING) {
            return;
        }
        if (g.refusal() == Refusal.BAD_CREDENTIALS || g.refusal() == Refusal.CHECK_FAILED) {
            authFailed(ctx);
            return;
        }
        // An inactive lease passes authentication (the password was right) and is refused with 0x02 at the request.
        grant = g;
        state = State.REQUEST;
        ctx.pipeline().replace("socks-decoder", "socks-decoder", new Socks5CommandDecoder());
        ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
        for (ByteBuf b : takeEarly()) {
            ctx.pipeline().context("socks-encoder").fireChannelRead(b);
        }
        if (state == State.REQUEST) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void authFailed(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(AUTH_FAILURE))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void connect(ChannelHandlerContext ctx, Socks5CommandDecoder.Connect c) {
        if (grant.refusal() != null) {
            refuse(ctx, grant.refusal().socksStatus);
            return;
        }
        state = State.OPENING;
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        connector.open(client, grant, c.host(), c.port(), (conn, stream) -> {
            if (state != State.OPENING) {
                stream.close();
                return;
            }
            state = State.RELAYING;
            relay(ctx, conn, stream, new DefaultSocks5CommandResponse(Socks5CommandStatus.SUCCESS, Socks5AddressType.IPv4), null,
                    "socks-encoder", "socks-decoder");
        }, refusal -> refuse(ctx, refusal.socksStatus));
    }

    private void refuse(ChannelHandlerContext ctx, Socks5CommandStatus status) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        ctx.writeAndFlush(new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Raw bytes reach us when a client sends the next handshake message in the same packet as the last
     * one: the old decoder passes them on. They belong to the decoder now in place (or, while the
     * password is being checked, to the one about to be).
     */
    private void bytes(ChannelHandlerContext ctx, ByteBuf b) {
        switch (state) {
            case OPENING -> keepEarly(ctx, b);
            case CHECKING -> keepEarly(ctx, b);
            case AUTH, REQUEST -> ctx.pipeline().context("socks-encoder").fireChannelRead(b);
            default -> {
                b.release();
                close(ctx);
            }
        }
    }

    private void keepEarly(ChannelHandlerContext ctx, ByteBuf b) {
        if (!keepEarly(b)) {
            close(ctx);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            if (state == State.OPENING) {
                clientInputEnded = true;
            } else {
                close(ctx);
            }
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        super.channelInactive(ctx);
    }

    @Override
    void markClosed() {
        state = State.CLOSED;
    }
}
