package com.aimlib.gateway.replicas;

import com.aimlib.gateway.tunnel.DeviceStreamException;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.net.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authenticated link between gateway replicas (issue 12): a replica asked for a stream of a device whose
 * tunnel another replica holds dials that replica's peer port and sends one line,
 * {@code AIMLIB-PEER/1 <millis> <nonce> <device> <host> <port> <hmac>}, the HMAC-SHA256 over the rest under a key
 * derived from the server key (every replica holds it; a line more than 30 s old or with a wrong HMAC is refused
 * and the connection closed). The holder opens the stream through its tunnel and answers {@code OK} or
 * {@code ERR <reason>}; after {@code OK} the TCP connection carries the stream's bytes both ways, half-closes
 * included. One TCP connection per proxied connection: no multiplexing, so no head-of-line blocking between
 * customers. Everything runs on event loops; nothing blocks.
 */
public final class PeerLink {
    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);
    static final String VERSION = "AIMLIB-PEER/1";
    static final long MAX_SKEW_MILLIS = 30_000;
    private static final int MAX_LINE = 512;
    /** As the proxy front's relay: 256 KiB queued towards a side before the other stops reading. */
    static final io.netty.channel.WriteBufferWaterMark WATER_MARK = new io.netty.channel.WriteBufferWaterMark(128 * 1024, 256 * 1024);

    private final byte[] key;
    private final Clock clock;

    public PeerLink(byte[] key, Clock clock) {
        this.key = key.clone();
        this.clock = clock;
    }

    String sign(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The request line for a stream of {@code device} to {@code host:port} (without the newline). */
    String request(UUID device, String host, int port) {
        String body = VERSION + " " + clock.millis() + " " + UUID.randomUUID() + " " + device + " " + host + " " + port;
        return body + " " + sign(body);
    }

    /** A verified request, or null when the line is malformed, stale or not signed with our key. */
    record Request(UUID device, String host, int port) {
    }

    Request verify(String line) {
        String[] f = line.split(" ");
        if (f.length != 7 || !VERSION.equals(f[0])) {
            return null;
        }
        int cut = line.lastIndexOf(' ');
        byte[] want = sign(line.substring(0, cut)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(want, f[6].getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        try {
            long at = Long.parseLong(f[1]);
            if (Math.abs(clock.millis() - at) > MAX_SKEW_MILLIS) {
                return null;
            }
            return new Request(UUID.fromString(f[3]), f[4], Integer.parseInt(f[5]));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- the holder's side

    /** The peer listener: streams asked for here are opened through {@code local} (this replica's tunnels only). */
    public Channel listen(String host, int port, DeviceStreams local, EventLoopGroup workers) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(workers).channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("deadline", new ReadTimeoutHandler(10, TimeUnit.SECONDS));
                        ch.pipeline().addLast("line", new LineReader());
                        ch.pipeline().addLast("serve", new Serve(local));
                    }
                });
        return b.bind(host, port).sync().channel();
    }

    /** Reads bytes up to the first newline and fires it as a String; bytes after it are held for the splice. */
    private static final class LineReader extends ChannelDuplexHandler {
        private ByteBuf acc = Unpooled.buffer(128);
        private ByteBuf rest;
        private boolean done;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (done) {
                ctx.fireChannelRead(msg);
                return;
            }
            ByteBuf in = (ByteBuf) msg;
            try {
                int nl = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                int take = nl < 0 ? in.readableBytes() : nl - in.readerIndex();
                if (acc.readableBytes() + take > MAX_LINE) {
                    ctx.close();
                    return;
                }
                acc.writeBytes(in, take);
                if (nl < 0) {
                    ctx.read(); // the rest of the line (auto-read is off on both ends)
                    return;
                }
                in.skipBytes(1);
                done = true;
                if (in.isReadable()) {
                    rest = in.retainedSlice();
                }
                String line = acc.toString(StandardCharsets.US_ASCII).strip();
                acc.release();
                acc = null;
                ctx.fireChannelRead(line);
            } finally {
                in.release();
            }
        }

        /** The first read asked for after the line: hand over what came with it, then get out of the way. */
        @Override
        public void read(ChannelHandlerContext ctx) {
            if (done) {
                ByteBuf r = rest;
                rest = null;
                ctx.pipeline().remove(this);
                if (r != null) {
                    ctx.fireChannelRead(r);
                }
            }
            ctx.read();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (acc != null) {
                acc.release();
                acc = null;
            }
        }
    }

    private final class Serve extends ChannelInboundHandlerAdapter {
        private final DeviceStreams local;

        Serve(DeviceStreams local) {
            this.local = local;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof String line)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            Channel peer = ctx.channel();
            Request r = verify(line);
            if (r == null) {
                log.warn("event=peer_link_refused from={}", peer.remoteAddress());
                peer.writeAndFlush(Unpooled.copiedBuffer("ERR unauthorized\n", StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.pipeline().remove(this);
            ctx.pipeline().remove("deadline");
            // Onto the event loop of the tunnel connection the stream will use, so the splice never crosses threads
            // (as the proxy front does with its clients); auto-read is off, so nothing is read meanwhile.
            EventLoop home = local.streamLoop(r.device(), peer.eventLoop());
            if (home == null || home == peer.eventLoop()) {
                openFor(peer, r);
                return;
            }
            peer.deregister().addListener(d -> {
                if (!d.isSuccess()) {
                    peer.close();
                    return;
                }
                home.register(peer).addListener(x -> {
                    if (!x.isSuccess()) {
                        peer.close();
                        return;
                    }
                    openFor(peer, r);
                });
            });
        }

        private void openFor(Channel peer, Request r) {
            local.open(r.device(), r.host(), r.port(), peer.eventLoop()).whenComplete((stream, error) -> peer.eventLoop().execute(() -> {
                if (error != null) {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                    String reason = cause instanceof DeviceStreamException d ? d.reason().name() : "FAILED";
                    peer.writeAndFlush(Unpooled.copiedBuffer("ERR " + reason + "\n", StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                if (!peer.isActive()) {
                    stream.close();
                    return;
                }
                peer.writeAndFlush(Unpooled.copiedBuffer("OK\n", StandardCharsets.US_ASCII));
                Splice.join(peer, stream);
            }));
        }
    }

    // ---------------------------------------------------------------- the asking side

    /**
     * Opens a stream of {@code device} to {@code host:port} through the replica at {@code peer}: the returned channel
     * follows {@link DeviceStreams}' contract (ByteBufs both ways, {@link DeviceStreams.EndOfStream} half-closes,
     * auto-read off until the caller's handlers are in).
     */
    public CompletableFuture<Channel> open(InetSocketAddress peer, UUID device, String host, int port, EventLoop loop) {
        CompletableFuture<Channel> out = new CompletableFuture<>();
        String line = request(device, host, port) + "\n";
        Bootstrap b = new Bootstrap().group(loop).channel(EventLoops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("eos", new EndOfStreamWriter());
                        ch.pipeline().addLast("line", new LineReader());
                        ch.pipeline().addLast("answer", new Answer(out));
                    }
                });
        b.connect(peer).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                out.completeExceptionally(new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE,
                        "the replica holding the device's tunnel is not reachable"));
                return;
            }
            Channel ch = f.channel();
            ch.writeAndFlush(Unpooled.copiedBuffer(line, StandardCharsets.US_ASCII));
            ch.read();
            ch.closeFuture().addListener(c -> out.completeExceptionally(new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE,
                    "the replica holding the device's tunnel closed the link")));
        });
        return out;
    }

    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final CompletableFuture<Channel> out;

        Answer(CompletableFuture<Channel> out) {
            this.out = out;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof String line)) {
                ctx.fireChannelRead(msg);
                return;
            }
            ctx.pipeline().remove(this);
            if ("OK".equals(line)) {
                if (!out.complete(ctx.channel())) {
                    ctx.close();
                }
                return;
            }
            DeviceStreamException.Reason reason = DeviceStreamException.Reason.FAILED;
            if (line.startsWith("ERR ")) {
                try {
                    reason = DeviceStreamException.Reason.valueOf(line.substring(4));
                } catch (IllegalArgumentException ignored) {
                    // unauthorized or unknown: a failure of ours, not of the device
                }
            }
            out.completeExceptionally(new DeviceStreamException(reason, "through the replica holding the tunnel: " + line));
            ctx.close();
        }
    }

    /** Turns {@link DeviceStreams.EndOfStream} into a TCP half-close. */
    private static final class EndOfStreamWriter extends ChannelDuplexHandler {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg == DeviceStreams.EndOfStream.INSTANCE) {
                // After what is queued: Netty's shutdownOutput drops writes still in the outbound buffer.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput(promise));
                return;
            }
            ctx.write(msg, promise);
        }
    }

    /** Pumps bytes between the peer socket and the device stream, with backpressure and half-closes. */
    private static final class Splice extends ChannelInboundHandlerAdapter {
        private final Channel other;
        private final boolean toStream;
        private final java.util.concurrent.atomic.AtomicInteger ended;

        private Splice(Channel other, boolean toStream, java.util.concurrent.atomic.AtomicInteger ended) {
            this.other = other;
            this.toStream = toStream;
            this.ended = ended;
        }

        static void join(Channel peer, Channel stream) {
            java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
            stream.config().setWriteBufferWaterMark(WATER_MARK);
            peer.pipeline().addLast("splice", new Splice(stream, true, ended));
            stream.pipeline().addLast("splice", new Splice(peer, false, ended));
            peer.config().setAutoRead(true);
            stream.config().setAutoRead(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            // Written now, flushed once per read burst (channelReadComplete): one writev for up to 16 reads instead
            // of a syscall each (the routed hop's CPU is what its throughput costs on a busy machine).
            other.write(msg).addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                }
            });
            if (!other.isWritable()) {
                other.flush();
                ctx.channel().config().setAutoRead(false);
                // The two channels may live on different loops: the other may have drained between the check and
                // the switch, and then no writability event would ever turn reading back on.
                if (other.isWritable()) {
                    ctx.channel().config().setAutoRead(true);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            other.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side drained: the other side may read again.
            if (ctx.channel().isWritable()) {
                other.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (toStream) {
                    DeviceStreams.shutdownOutput(other);
                } else if (other instanceof DuplexChannel d) {
                    // After what is queued: Netty's shutdownOutput drops writes still in the outbound buffer.
                    other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
                }
                if (ended.incrementAndGet() == 2) {
                    ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
