package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.ErrorBody;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each complete request: ordinary handlers run on a virtual thread (they may block on the
 * database); raw handlers run here on the event loop. Every failure leaves as the JSON envelope.
 */
@ChannelHandler.Sharable
final class HttpDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpDispatcher.class);

    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final Router router;
    private final ExecutorService blocking;
    private final MeterRegistry meters;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    HttpDispatcher(Router router, ExecutorService blocking, MeterRegistry meters) {
        this.router = router;
        this.blocking = blocking;
        this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        long start = System.nanoTime();
        if (msg.decoderResult().isFailure()) {
            write(ctx, false, malformed(msg.decoderResult().cause()).asResponse(), "malformed", start, msg);
            return;
        }
        if (!StrictUtf8.isValidUri(msg.uri())) {
            write(ctx, HttpUtil.isKeepAlive(msg), ApiException.badRequest("the request target is not valid UTF-8").asResponse(),
                    "malformed", start, msg);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(msg.uri());
        String path = uri.path();
        Router.Match match = router.match(msg.method(), path);
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        if (!match.found()) {
            Response r = match.allowed().isEmpty()
                    ? new ApiException(404, ErrorCode.NOT_FOUND, "no route for " + msg.method() + " " + path).asResponse()
                    : new ApiException(405, ErrorCode.METHOD_NOT_ALLOWED, msg.method() + " is not allowed on " + path).asResponse()
                            .withHeader("Allow", match.allowed().stream().map(Object::toString).collect(Collectors.joining(", ")));
            write(ctx, keepAlive, r, "unmatched", start, msg);
            return;
        }
        Router.Route route = match.route();
        if (route.raw() != null) {
            route.raw().handle(ctx, msg.retain(), match.params());
            return;
        }
        byte[] body = ByteBufUtil.getBytes(msg.content());
        Request request = new Request(msg.method(), path, match.params(), uri.parameters(), msg.headers(), body,
                (InetSocketAddress) ctx.channel().remoteAddress(), null);
        blocking.execute(() -> {
            Response response;
            try {
                response = route.handler().handle(request);
            } catch (ApiException e) {
                response = e.asResponse();
            } catch (Exception | Error e) {
                log.error("handler failed route={} method={}", route.template(), msg.method(), e);
                response = ApiException.serverError().asResponse();
            }
            write(ctx, keepAlive, response, route.template(), start, msg);
        });
    }

    private void write(ChannelHandlerContext ctx, boolean keepAlive, Response response, String routeName, long start, FullHttpRequest req) {
        FullHttpResponse out = toHttp(response);
        // Counted before the write: a client that has its answer must find it counted (a scrape right after raced it).
        record(methodLabel(req.method()), routeName, response.status(), System.nanoTime() - start);
        if (keepAlive) {
            HttpUtil.setKeepAlive(out, true);
            ctx.writeAndFlush(out);
        } else {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A request the codec could not parse: 431 for headers over 16 KiB, 414 for a request line over 8 KiB, else 400. */
    private static ApiException malformed(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return new ApiException(431, ErrorCode.HEADER_TOO_LARGE, "request headers exceed 16384 bytes");
        }
        if (cause instanceof TooLongHttpLineException) {
            return new ApiException(414, ErrorCode.URI_TOO_LONG, "request line exceeds 8192 bytes");
        }
        return new ApiException(400, ErrorCode.BAD_REQUEST, "malformed HTTP request");
    }

    /** The method as a metric label: one of the known methods, else OTHER (a client may send any token). */
    static String methodLabel(HttpMethod m) {
        return KNOWN_METHODS.contains(m.name()) ? m.name() : "OTHER";
    }

    private void record(String method, String route, int status, long nanos) {
        String key = method + ' ' + route + ' ' + status;
        timers.computeIfAbsent(key, k -> Timer.builder("http.server.requests")
                        .tag("method", method).tag("route", route).tag("status", Integer.toString(status))
                        .publishPercentileHistogram(false)
                        .register(meters))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    static FullHttpResponse toHttp(Response response) {
        ByteBuf content;
        String type;
        if (response.body() instanceof Response.Text text) {
            content = Unpooled.copiedBuffer(text.text(), StandardCharsets.UTF_8);
            type = text.contentType();
        } else if (response.body() == null) {
            content = Unpooled.EMPTY_BUFFER;
            type = null;
        } else {
            try {
                content = Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(response.body()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("response not serialisable", e);
            }
            type = "application/json";
        }
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpStatuses.of(response.status()), content);
        if (type != null) {
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        }
        out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        response.headers().forEach((k, v) -> out.headers().set(k, v));
        return out;
    }

    static FullHttpResponse errorResponse(int status, ErrorBody body) {
        return toHttp(new Response(status, body, Map.of()));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("http connection error remote={} cause={}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
