package com.aimlib.gateway.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Map;

/**
 * Gives the few upload routes ({@code POST /v1/extensions}) a larger body limit than every other request: at each
 * request's head it puts an aggregator with that route's limit in place of the connection's current one (a
 * completed aggregator holds no state, and the next head only arrives after the previous body's end).
 */
final class BodyLimitSwitch extends ChannelInboundHandlerAdapter {
    static final String NAME = "body-limit";
    private final int defaultMax;
    /** {@code "POST /v1/extensions"} → its limit. */
    private final Map<String, Integer> larger;

    BodyLimitSwitch(int defaultMax, Map<String, Integer> larger) {
        this.defaultMax = defaultMax;
        this.larger = larger;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).rawPath();
            if (path.length() > 1 && path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            int want = larger.getOrDefault(req.method().name() + " " + path, defaultMax);
            ChannelHandler current = ctx.pipeline().get("aggregate");
            if (current instanceof HttpServer.BoundedAggregator b && b.max() != want) {
                ctx.pipeline().replace("aggregate", "aggregate", new HttpServer.BoundedAggregator(want));
            }
        }
        ctx.fireChannelRead(msg);
    }
}
