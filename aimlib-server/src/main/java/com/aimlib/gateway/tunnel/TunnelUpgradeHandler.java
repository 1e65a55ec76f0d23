package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelProtocol;
import com.aimlib.net.tunnel.TunnelSettings;
import com.aimlib.net.tunnel.KeepAliveHandler;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.LoginThrottle;
import com.aimlib.gateway.http.Uuids;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 half of a tunnel connection: validates the upgrade request, checks the agent token on a
 * virtual thread, then answers 101 and turns the connection into an HTTP/2 client. Anything else gets a
 * short HTTP error and a close. A connection that does not finish its upgrade in time is closed.
 */
final class TunnelUpgradeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TunnelUpgradeHandler.class);

    private final AgentStore store;
    private final DeviceTunnels tunnels;
    private final TunnelSettings settings;
    private final ExecutorService blocking;
    private ScheduledFuture<?> deadline;
    private boolean requestSeen;
    private boolean rejected;

    private final LoginThrottle throttle;

    TunnelUpgradeHandler(AgentStore store, DeviceTunnels tunnels, TunnelSettings settings, ExecutorService blocking,
                         LoginThrottle throttle) {
        this.throttle = throttle;
        this.store = store;
        this.tunnels = tunnels;
        this.settings = settings;
        this.blocking = blocking;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        deadline = ctx.executor().schedule(() -> {
            ctx.close();
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest request && !requestSeen) {
                requestSeen = true;
                onRequest(ctx, request);
            } else if (!(msg instanceof HttpContent content) || content.content().isReadable()) {
                reject(ctx, HttpResponseStatus.BAD_REQUEST, "one upgrade request without a body expected");
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent && !requestSeen) {
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request");
            return;
        }
        if (!HttpMethod.GET.equals(request.method()) || !TunnelProtocol.PATH.equals(request.uri())) {
            reject(ctx, HttpResponseStatus.NOT_FOUND, "the tunnel is GET " + TunnelProtocol.PATH);
            return;
        }
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || !TunnelProtocol.UPGRADE.equalsIgnoreCase(upgrade.trim())
                || !request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            reject(ctx, HttpResponseStatus.UPGRADE_REQUIRED, "Upgrade: " + TunnelProtocol.UPGRADE + " required");
            return;
        }
        if (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) != 0L) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST, "the upgrade request has no body");
            return;
        }
        UUID deviceId = Uuids.parseOrNull(request.headers().get(TunnelProtocol.DEVICE_HEADER));
        String token = ApiKeyAuth.bearer(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (deviceId == null || token == null) {
            reject(ctx, HttpResponseStatus.UNAUTHORIZED, "device id and agent token required");
            return;
        }
        ctx.channel().config().setAutoRead(false);
        // The token check runs on a virtual thread, under the guessing back-off (per source address and per
        // device id; a right token from a source without failures is never held).
        throttle.guard(ctx.executor(), LoginThrottle.source(com.aimlib.net.ClientAddress.of(ctx.channel())), deviceId.toString(),
                () -> check(deviceId, token), result -> result == Check.BAD_TOKEN, Check.BAD_TOKEN)
                .thenAccept(result -> ctx.executor().execute(() -> {
                    switch (result) {
                        case OK -> upgrade(ctx, deviceId);
                        case BAD_TOKEN -> {
                            log.info("event=tunnel_refused device={} remote={}", deviceId, com.aimlib.net.ClientAddress.of(ctx.channel()));
                            reject(ctx, HttpResponseStatus.UNAUTHORIZED, "bad agent token");
                        }
                        case UNAVAILABLE -> reject(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "try again later");
                        case SHUTTING_DOWN -> reject(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down");
                    }
                }));
    }

    private enum Check { OK, BAD_TOKEN, UNAVAILABLE, SHUTTING_DOWN }

    private CompletableFuture<Check> check(UUID deviceId, String token) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return store.authenticate(deviceId, token) ? Check.OK : Check.BAD_TOKEN;
                } catch (RuntimeException e) {
                    log.warn("event=tunnel_auth_failed device={} error={}", deviceId, e.toString());
                    return Check.UNAVAILABLE;
                }
            }, blocking);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(Check.SHUTTING_DOWN);
        }
    }

    private void upgrade(ChannelHandlerContext ctx, UUID deviceId) {
        if (rejected || !ctx.channel().isActive()) {
            return;
        }
        deadline.cancel(false);
        FullHttpResponse switching = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        switching.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE).set(HttpHeaderNames.UPGRADE, TunnelProtocol.UPGRADE);
        ctx.writeAndFlush(switching);
        ChannelPipeline p = ctx.pipeline();
        // The HTTP/1.1 encoder must be gone before the HTTP/2 preface is written through the pipeline.
        p.remove(HttpServerCodec.class);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(settings(settings))
                .autoAckPingFrame(true)
                // Every proxied connection a client drops is a RST_STREAM: normal here, not a rapid-reset attack
                // (the peer is authenticated, and only its own device would suffer).
                .decoderEnforceMaxRstFramesPerWindow(0, 0)
                .encoderEnforceMaxRstFramesPerWindow(0, 0)
                .build();
        // DATA frames straddle socket reads: a composite cumulation slices them out instead of copying.
        codec.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        p.addLast("h2", codec);
        TunnelSettings.tuneFlowControl(codec); // once in the pipeline: Netty asserts it is on the codec's event loop
        p.addLast("h2-mux", new Http2MultiplexHandler(new RefusePushHandler()));
        p.addLast(RttMeter.NAME, new RttMeter());
        p.addLast("keepalive", new KeepAliveHandler(settings));
        p.addLast("connection", new TunnelConnectionHandler(deviceId));
        p.remove(this);
        growConnectionWindow(ctx.channel(), settings);
        ctx.channel().config().setWriteBufferWaterMark(settings.connectionWaterMark());
        TunnelConnection connection = new TunnelConnection(deviceId, ctx.channel(), settings);
        p.addBefore("h2", "meter", connection.meter());
        p.get(TunnelConnectionHandler.class).connection = connection;
        tunnels.register(connection);
        log.info("event=tunnel_up device={} remote={}", deviceId, com.aimlib.net.ClientAddress.of(ctx.channel()));
        ctx.channel().config().setAutoRead(true);
    }

    /** Our receive settings: big stream windows, bigger frames. */
    static Http2Settings settings(TunnelSettings s) {
        return Http2Settings.defaultSettings()
                .initialWindowSize(s.streamWindow())
                .maxFrameSize(s.maxFrameSize())
                .maxConcurrentStreams(s.maxConcurrentStreams())
                .pushEnabled(false);
    }

    /** HTTP/2 starts every connection window at 64 KiB; SETTINGS cannot change that, a WINDOW_UPDATE can. */
    static void growConnectionWindow(Channel channel, TunnelSettings s) {
        int delta = s.connectionWindow() - 65_535;
        if (delta > 0) {
            channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
        }
    }

    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        if (rejected || !ctx.channel().isActive()) {
            return;
        }
        rejected = true;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** The agent must not push; a stream it opens anyway is closed. */
    private static final class RefusePushHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }
}
