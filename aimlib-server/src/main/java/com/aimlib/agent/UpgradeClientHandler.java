package com.aimlib.agent;

import com.aimlib.net.tunnel.KeepAliveHandler;
import com.aimlib.net.tunnel.TunnelProtocol;
import com.aimlib.net.tunnel.TunnelSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent's side of the upgrade: sends {@code GET /tunnel/v1} with the device's token, reads the
 * gateway's answer (bounded), and on {@code 101} turns the connection into the HTTP/2 server end of the
 * tunnel. Whatever the gateway sent after the 101 flows on into the HTTP/2 codec.
 */
final class UpgradeClientHandler extends ByteToMessageDecoder {
    static final int MAX_HEAD = 8192;

    private final DeviceAgent device;
    private final String hostHeader;
    private ScheduledFuture<?> deadline;

    UpgradeClientHandler(DeviceAgent device, String hostHeader) {
        this.device = device;
        this.hostHeader = hostHeader;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        String request = "GET " + TunnelProtocol.PATH + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Connection: Upgrade\r\n"
                + "Upgrade: " + TunnelProtocol.UPGRADE + "\r\n"
                + "Authorization: Bearer " + device.config().token() + "\r\n"
                + TunnelProtocol.DEVICE_HEADER + ": " + device.config().id() + "\r\n"
                + "\r\n";
        ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), request));
        deadline = ctx.executor().schedule(() -> {
            device.handshakeFailed("no answer from the gateway");
            ctx.close();
        }, device.settings().tunnel().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int end = ByteBufUtil.indexOf(in, in.readerIndex(), Math.min(in.writerIndex(), in.readerIndex() + MAX_HEAD), (byte) '\n');
        int headEnd = -1;
        for (int i = in.readerIndex(); i + 3 < in.writerIndex() && i < in.readerIndex() + MAX_HEAD; i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r' && in.getByte(i + 3) == '\n') {
                headEnd = i + 4;
                break;
            }
        }
        if (headEnd < 0) {
            if (in.readableBytes() >= MAX_HEAD) {
                device.handshakeFailed("oversized answer");
                in.skipBytes(in.readableBytes());
                ctx.close();
            }
            return;
        }
        String statusLine = in.toString(in.readerIndex(), end < 0 ? 0 : end - in.readerIndex(), StandardCharsets.US_ASCII).trim();
        in.readerIndex(headEnd);
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length >= 2 && parts[0].startsWith("HTTP/1.") ? parseInt(parts[1]) : -1;
        if (status != 101) {
            deadline.cancel(false);
            device.handshakeFailed(status == 401 ? "gateway refused the agent token" : "gateway answered " + status);
            ctx.close();
            return;
        }
        switchToHttp2(ctx);
    }

    private void switchToHttp2(ChannelHandlerContext ctx) {
        deadline.cancel(false);
        TunnelSettings s = device.settings().tunnel();
        Http2Settings settings = Http2Settings.defaultSettings()
                .initialWindowSize(s.streamWindow())
                .maxFrameSize(s.maxFrameSize())
                .maxConcurrentStreams(s.maxConcurrentStreams());
        ChannelPipeline p = ctx.pipeline();
        String name = ctx.name();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .autoAckPingFrame(true)
                // Every proxied connection a client drops is a RST_STREAM: normal here, not a rapid-reset attack
                // (the peer is authenticated, and only its own device would suffer).
                .decoderEnforceMaxRstFramesPerWindow(0, 0)
                .encoderEnforceMaxRstFramesPerWindow(0, 0)
                .gracefulShutdownTimeoutMillis(device.settings().drainTimeout().toMillis())
                .build();
        codec.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        p.addAfter(name, "h2", codec);
        TunnelSettings.tuneFlowControl(codec); // once in the pipeline: Netty asserts it is on the codec's event loop
        p.addAfter("h2", "h2-mux", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.config().setWriteBufferWaterMark(s.streamWaterMark());
                ch.pipeline().addLast(new AgentStreamHandler(device));
            }
        }));
        p.addAfter("h2-mux", "keepalive", new KeepAliveHandler(s));
        p.addAfter("keepalive", "connection", new AgentConnectionHandler(device));
        int delta = s.connectionWindow() - 65_535;
        if (delta > 0) {
            ctx.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
        }
        ctx.channel().config().setWriteBufferWaterMark(s.connectionWaterMark());
        device.upgraded(ctx.channel());
        p.remove(this);
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
