package com.aimlib.gateway.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The unified proxy port: reads the first byte a client sends and installs the front it belongs to —
 * {@code 0x05} the SOCKS5 front, an upper-case ASCII letter (every HTTP method: {@code CONNECT}, {@code GET},
 * …) the HTTP front — then leaves the pipeline, handing over what it buffered. Anything else is refused at
 * once: a SOCKS4 request gets SOCKS4's "request rejected" reply, a TLS ClientHello (an {@code https://}
 * proxy URL pointed at this plain port) a TLS {@code handshake_failure} alert, other bytes a close. No byte
 * within the handshake deadline: close. The front gets what is left of the same deadline.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {
    static final String NAME = "detect";
    private static final byte SOCKS5 = 0x05;
    private static final byte SOCKS4 = 0x04;
    private static final byte TLS_HANDSHAKE = 0x16;
    /** SOCKS4 reply: VN 0, CD 91 "request rejected or failed", then port and address (ignored). */
    private static final byte[] SOCKS4_REJECTED = {0, 91, 0, 0, 0, 0, 0, 0};
    /** TLS 1.0 record header (any client accepts it) carrying a fatal {@code handshake_failure} (40) alert. */
    private static final byte[] TLS_ALERT = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 40};

    /** Counts connections refused by the detector, by what they started with. */
    record Meters(Counter socks4, Counter tls, Counter other, Counter silent) {
        static Meters register(MeterRegistry registry) {
            return new Meters(counter(registry, "socks4"), counter(registry, "tls"), counter(registry, "other"),
                    counter(registry, "no_bytes"));
        }

        private static Counter counter(MeterRegistry registry, String first) {
            return Counter.builder("aimlib.proxy.detect.refused").tag("first", first)
                    .description("Connections to the unified proxy port refused before a front was chosen, by their first bytes")
                    .register(registry);
        }
    }

    private final ProxyConnector connector;
    private final long handshakeTimeoutMillis;
    private final Meters meters;
    private long startedAt;
    private ScheduledFuture<?> timer;
    private boolean decided;

    ProxyProtocolDetector(ProxyConnector connector, long handshakeTimeoutMillis, Meters meters) {
        this.connector = connector;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.meters = meters;
    }

    /** Sets up a fresh connection of the unified port. */
    static void install(ChannelPipeline p, ProxyConnector connector, long handshakeTimeoutMillis, Meters meters) {
        p.addLast(NAME, new ProxyProtocolDetector(connector, handshakeTimeoutMillis, meters));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        startedAt = ctx.executor().ticker().nanoTime();
        if (ctx.channel().isActive()) {
            startTimer(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        startTimer(ctx);
        super.channelActive(ctx);
    }

    private void startTimer(ChannelHandlerContext ctx) {
        if (timer == null) {
            timer = ctx.executor().schedule(() -> {
                if (!decided) {
                    decided = true;
                    meters.silent().increment();
                    ctx.close();
                }
            }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (decided) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!in.isReadable()) {
            return;
        }
        decided = true;
        if (timer != null) {
            timer.cancel(false);
        }
        byte first = in.getByte(in.readerIndex());
        long left = Math.max(1, handshakeTimeoutMillis - TimeUnit.NANOSECONDS.toMillis(ctx.executor().ticker().nanoTime() - startedAt));
        ChannelPipeline p = ctx.pipeline();
        if (first == SOCKS5) {
            Socks5FrontHandler.install(p, connector, left);
            p.remove(this);
        } else if (first >= 'A' && first <= 'Z') {
            HttpProxyFrontHandler.install(p, connector, left);
            p.remove(this);
        } else {
            in.skipBytes(in.readableBytes());
            byte[] reply = switch (first) {
                case SOCKS4 -> {
                    meters.socks4().increment();
                    yield SOCKS4_REJECTED;
                }
                case TLS_HANDSHAKE -> {
                    meters.tls().increment();
                    yield TLS_ALERT;
                }
                default -> {
                    meters.other().increment();
                    yield null;
                }
            };
            if (reply == null) {
                ctx.close();
            } else {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(reply)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        decided = true;
        if (timer != null) {
            timer.cancel(false);
        }
        super.channelInactive(ctx);
    }

    /** A client that half-closes before its first byte will never send one. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        super.userEventTriggered(ctx, evt);
        if (evt instanceof ChannelInputShutdownEvent && !decided) {
            decided = true;
            meters.silent().increment();
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
