package com.aimlib.gateway.tunnel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
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

    /** True while new streams may go here: connected and not told to go away. */
    boolean usable() {
        return !draining && channel.isActive();
    }

    /** The agent sent GOAWAY: streams in flight finish, new ones go elsewhere. */
    void drain() {
        draining = true;
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

    static String authority(String host, int port) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
