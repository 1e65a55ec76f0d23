package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelSettings;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** One authenticated tunnel connection of a device: the HTTP/2 client side, opening streams to the agent. */
final class TunnelConnection {
    private final UUID deviceId;
    private final Channel channel;
    private final TunnelSettings settings;
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final Meter meter = new Meter();
    private volatile boolean draining;

    TunnelConnection(UUID deviceId, Channel channel, TunnelSettings settings) {
        this.deviceId = deviceId;
        this.channel = channel;
        this.settings = settings;
    }

    UUID deviceId() {
        return deviceId;
    }

    Channel channel() {
        return channel;
    }

    int activeStreams() {
        return activeStreams.get();
    }

    /**
     * What the pool spreads new streams by: the open streams, plus one per {@link Meter#BYTES_PER_STREAM} the
     * connection moved (either way) in the last half second to second. A bulk transfer thus weighs like many idle
     * streams, and short exchanges go to another connection instead of queueing behind its bytes: at a 100 ms
     * round trip, a stream sharing a TCP connection with a window-limited download waits behind what that
     * download keeps queued in the network (+70 ms at 100 Mbit/s, bench/tunnel/RttBench.java).
     */
    double load() {
        return activeStreams.get() + (double) meter.recentBytes() / Meter.BYTES_PER_STREAM;
    }

    /** Counts the connection's bytes; goes at the head of its pipeline. */
    ChannelHandler meter() {
        return meter;
    }

    /** True while new streams may go here: connected and not told to go away. */
    boolean usable() {
        return !draining && channel.isActive();
    }

    /** The agent sent GOAWAY: streams in flight finish, new ones go elsewhere. */
    void drain() {
        draining = true;
    }

    /** Sends an HTTP/2 PING now; its ACK updates {@link #rttNanos()}. */
    void ping() {
        channel.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
    }

    /** The last PING round trip in nanoseconds (keep-alive's or {@link #ping()}'s), or -1 before the first ACK. */
    long rttNanos() {
        RttMeter meter = channel.pipeline().get(RttMeter.class);
        return meter == null ? -1 : meter.lastNanos();
    }

    /** Opens a CONNECT stream to {@code host:port}; completes with the payload channel once the agent connected. */
    CompletableFuture<Channel> connect(String host, int port) {
        Http2Headers headers = new DefaultHttp2Headers().method("CONNECT").authority(authority(host, port));
        CompletableFuture<Channel> result = new CompletableFuture<>();
        open(headers, false, new GatewayStreamHandler(result, settings.streamSetupTimeout()), result,
                () -> new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE, "the tunnel connection is gone"));
        return result;
    }

    /** Sends a control request ({@code GET /agent/v1/status} …) and collects the answer within {@code timeout}. */
    CompletableFuture<ControlCallHandler.Answer> control(String method, String path, Duration timeout) {
        Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("https").authority("agent");
        CompletableFuture<ControlCallHandler.Answer> result = new CompletableFuture<>();
        open(headers, true, new ControlCallHandler(result), result, () -> new IllegalStateException("the tunnel connection is gone"));
        return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Opens a stream with raw request headers: what the set-up fuzz test speaks. */
    CompletableFuture<Channel> openRaw(Http2Headers headers, boolean endStream) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        open(headers, endStream, new GatewayStreamHandler(result, settings.streamSetupTimeout()), result,
                () -> new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE, "the tunnel connection is gone"));
        return result;
    }

    private void open(Http2Headers headers, boolean endStream, ChannelHandler handler, CompletableFuture<?> result,
                      Supplier<Throwable> gone) {
        activeStreams.incrementAndGet();
        new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, settings.streamWaterMark())
                .handler(handler).open().addListener((Future<Http2StreamChannel> f) -> {
            if (!f.isSuccess()) {
                activeStreams.decrementAndGet();
                result.completeExceptionally(gone.get());
                return;
            }
            Http2StreamChannel stream = f.getNow();
            stream.closeFuture().addListener(c -> activeStreams.decrementAndGet());
            stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream)).addListener(w -> {
                if (!w.isSuccess()) {
                    result.completeExceptionally(channel.isActive()
                            ? new DeviceStreamException(DeviceStreamException.Reason.FAILED, "the tunnel refused a new stream")
                            : gone.get());
                    stream.close();
                }
            });
        });
    }

    /** Bytes read and written, in half-second buckets: the current one and the one before. */
    static final class Meter extends ChannelDuplexHandler {
        static final long BYTES_PER_STREAM = 1 << 20;
        private static final long BUCKET = TimeUnit.MILLISECONDS.toNanos(500);
        private volatile long bucketStart = System.nanoTime();
        private volatile long current;
        private volatile long previous;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                count(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                count(b.readableBytes());
            }
            ctx.write(msg, promise);
        }

        /** On the connection's event loop only. */
        private void count(int n) {
            long now = System.nanoTime();
            long age = now - bucketStart;
            if (age >= BUCKET) {
                previous = age < 2 * BUCKET ? current : 0;
                current = 0;
                bucketStart = now;
            }
            current += n;
        }

        /** From any thread; a stale reading only skews one placement. */
        long recentBytes() {
            long age = System.nanoTime() - bucketStart;
            return age >= 2 * BUCKET ? 0 : age >= BUCKET ? current : previous + current;
        }
    }

    static String authority(String host, int port) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
