package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.net.EventLoops;
import com.aimlib.protocol.ErrorBody;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 listener of the gateway (REST, discovery, WebSocket relay; or the scraper's /metrics): bodies
 * bounded at {@code maxBodyBytes}, connections capped and held to deadlines ({@link HttpLimits}), responses in
 * request order ({@link RequestFlow}), and every refusal the HTTP stack makes itself (413, 417, 408, 503)
 * in the JSON envelope.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    private HttpServer(EventLoopGroup boss, EventLoopGroup workers, Channel channel) {
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
    }

    /** {@code name} tags the listener's connection metrics ({@code api}, {@code metrics}). */
    public static HttpServer start(String name, String host, int port, int maxBodyBytes, HttpLimits limits, Router router,
                                   ExecutorService blocking, MeterRegistry meters, EventLoopGroup workers) throws InterruptedException {
        return start(name, host, port, maxBodyBytes, java.util.Map.of(), limits, router, blocking, meters, workers);
    }

    /** As above, with larger body limits for a few routes ({@code "POST /v1/extensions"} → bytes). */
    public static HttpServer start(String name, String host, int port, int maxBodyBytes, java.util.Map<String, Integer> largerBodies,
                                   HttpLimits limits, Router router, ExecutorService blocking, MeterRegistry meters,
                                   EventLoopGroup workers) throws InterruptedException {
        EventLoopGroup boss = EventLoops.group(1, "http-accept");
        HttpDispatcher dispatcher = new HttpDispatcher(router, blocking, meters);
        ConnectionCap cap = new ConnectionCap(limits.maxConnections(), meters, name);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!cap.admit(ch)) {
                            return;
                        }
                        RequestFlow flow = new RequestFlow(limits);
                        ch.pipeline()
                                .addLast(RequestFlow.BYTE_WATCH, flow.byteWatch())
                                .addLast("http", new HttpServerCodec(8192, 16384, 8192))
                                .addLast("flow", flow)
                                .addLast("aggregate", new BoundedAggregator(maxBodyBytes))
                                .addLast("dispatch", dispatcher);
                        if (!largerBodies.isEmpty()) {
                            ch.pipeline().addBefore("aggregate", BodyLimitSwitch.NAME, new BodyLimitSwitch(maxBodyBytes, largerBodies));
                        }
                    }
                });
        Channel ch = b.bind(host, port).sync().channel();
        log.info("http listening address={}", ch.localAddress());
        return new HttpServer(boss, workers, ch);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting; connections in flight are left to finish until the worker group shuts down. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * An aggregator whose refusals are the JSON envelope, not Netty's empty 413/417: an oversized body, an
     * {@code Expect: 100-continue} announcing one, and an {@code Expect} value other than 100-continue.
     */
    static final class BoundedAggregator extends HttpObjectAggregator {
        private final int max;

        BoundedAggregator(int max) {
            // Close after refusing an expectation: the decoder then drops the rest of that request, which a client
            // may send anyway, and which must never be read as the next request.
            super(max, true);
            this.max = max;
        }

        int max() {
            return max;
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object netty = super.newContinueResponse(start, maxContentLength, pipeline);
            if (!(netty instanceof HttpResponse r) || r.status().code() < 400) {
                return netty;
            }
            int status = r.status().code();
            ReferenceCountUtil.release(netty);
            FullHttpResponse refusal = status == 413 ? tooLarge() : HttpDispatcher.errorResponse(417,
                    new ErrorBody(ErrorCode.EXPECTATION_FAILED, "the only Expect value supported is 100-continue"));
            refusal.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return refusal;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ClosingReply.send(ctx, tooLarge());
        }

        private FullHttpResponse tooLarge() {
            return HttpDispatcher.errorResponse(413, new ErrorBody(ErrorCode.PAYLOAD_TOO_LARGE, "request body exceeds " + max + " bytes"));
        }
    }
}
