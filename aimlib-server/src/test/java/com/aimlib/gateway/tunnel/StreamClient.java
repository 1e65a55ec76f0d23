package com.aimlib.gateway.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What a proxy front does with a {@link DeviceStreams} channel, reduced to what tests need. */
final class StreamClient extends ChannelInboundHandlerAdapter {
    final Channel channel;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final CompletableFuture<Void> inputEnded = new CompletableFuture<>();

    private StreamClient(Channel channel) {
        this.channel = channel;
    }

    /** Attaches to an opened stream and starts reading (unless {@code read} is false). */
    static StreamClient attach(Channel channel, boolean read) {
        StreamClient c = new StreamClient(channel);
        channel.pipeline().addLast(c);
        if (read) {
            channel.config().setAutoRead(true);
        }
        return c;
    }

    static StreamClient open(DeviceStreams streams, java.util.UUID device, String host, int port) throws Exception {
        return attach(streams.open(device, host, port).get(10, TimeUnit.SECONDS), true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        synchronized (received) {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            received.write(b, 0, b.length);
        }
        buf.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            inputEnded.complete(null);
        }
    }

    void write(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    void write(String s) {
        write(s.getBytes(StandardCharsets.UTF_8));
    }

    void shutdownOutput() {
        DeviceStreams.shutdownOutput(channel).syncUninterruptibly();
    }

    byte[] bytes() {
        synchronized (received) {
            return received.toByteArray();
        }
    }

    String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** Waits until at least {@code n} bytes arrived. */
    byte[] await(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (bytes().length < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return bytes();
    }

    String awaitLine(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!text().contains("\n") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        String t = text();
        return t.contains("\n") ? t.substring(0, t.indexOf('\n')) : t;
    }
}
