package com.aimlib.gateway.http;

import com.aimlib.net.EventLoops;
import com.aimlib.protocol.ErrorBody;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's HTTP listener (REST, discovery, WebSocket relay): HTTP/1.1 with bodies bounded at
 * {@code maxBodyBytes}; larger bodies get a 413 in the JSON envelope.
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

    public static HttpServer start(String host, int port, int maxBodyBytes, Router router, ExecutorService blocking,
                                   MeterRegistry meters, EventLoopGroup workers) throws InterruptedException {
        EventLoopGroup boss = EventLoops.group(1, "http-accept");
        HttpDispatcher dispatcher = new HttpDispatcher(router, blocking, meters);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(8192, 16384, 8192))
                                .addLast("aggregate", new BoundedAggregator(maxBodyBytes))
                                .addLast("dispatch", dispatcher);
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

    /** An aggregator whose refusal of an oversized body is the JSON envelope, not an empty 413. */
    static final class BoundedAggregator extends HttpObjectAggregator {
        private final int max;

        BoundedAggregator(int max) {
            super(max);
            this.max = max;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            FullHttpResponse r = HttpDispatcher.errorResponse(413,
                    new ErrorBody("payload_too_large", "request body exceeds " + max + " bytes"));
            r.headers().set("Connection", "close");
            // Closing at once while the client is still sending makes the kernel answer with RST, which
            // can destroy the 413 before the client reads it. So: send it, half-close, let the aggregator
            // discard the rest of the body, and close a moment later.
            ctx.writeAndFlush(r).addListener(f -> {
                if (!f.isSuccess() || !(ctx.channel() instanceof io.netty.channel.socket.DuplexChannel duplex)) {
                    ctx.close();
                    return;
                }
                duplex.shutdownOutput();
                ctx.executor().schedule(() -> ctx.close(), 2, TimeUnit.SECONDS);
            });
        }
    }
}
