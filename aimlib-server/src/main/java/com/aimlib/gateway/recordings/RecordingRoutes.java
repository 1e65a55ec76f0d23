package com.aimlib.gateway.recordings;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.aimlib.protocol.RecordingBody;
import com.aimlib.protocol.RecordingOptions;
import java.util.List;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's recording files (issue 14), for the customer that owns the session:
 * <ul>
 *   <li>{@code GET /v1/sessions/{id}/recording} (proxies.read) — what was asked for, the files so far, storage used</li>
 *   <li>{@code GET /v1/sessions/{id}/recording/{name}} and {@code …/recording/screenshots/{name}} (proxies.read) — one
 *   file, streamed from disk (the file is opened on a virtual thread, sent with a zero-copy file region)</li>
 * </ul>
 */
public final class RecordingRoutes {
    private static final Logger log = LoggerFactory.getLogger(RecordingRoutes.class);

    private RecordingRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, Recordings recordings, ExecutorService blocking) {
        router.get("/v1/sessions/{id}/recording", auth.customer("proxies.read", r -> list(r, recordings)));
        router.raw(HttpMethod.GET, "/v1/sessions/{id}/recording/{name}",
                (ctx, req, p) -> download(ctx, req, p, p.get("name"), auth, recordings, blocking));
        router.raw(HttpMethod.GET, "/v1/sessions/{id}/recording/screenshots/{name}",
                (ctx, req, p) -> download(ctx, req, p, "screenshots/" + p.get("name"), auth, recordings, blocking));
    }

    private static Response list(Request r, Recordings recordings) {
        UUID id = r.uuidParam("id");
        Recordings.Listing l = recordings.list(r.principal(CustomerPrincipal.class).customerId(), id);
        List<RecordingBody.File> files = l.files().stream()
                .map(f -> new RecordingBody.File(f.name(), f.kind(), f.bytes(), "/v1/sessions/" + id + "/recording/" + f.name())).toList();
        RecordingBody body = new RecordingBody(id, l.status(), new RecordingOptions(l.har(), l.screenshots(), l.video()), l.expiresAt(),
                files, new RecordingBody.Storage(l.usedBytes(), l.quotaBytes()));
        return Response.ok(body);
    }

    private static void download(ChannelHandlerContext ctx, FullHttpRequest req, Map<String, String> params, String name,
                                 ApiKeyAuth auth, Recordings recordings, ExecutorService blocking) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        Request request = new Request(req.method(), uri.path(), params, uri.parameters(), req.headers().copy(), new byte[0],
                (InetSocketAddress) ctx.channel().remoteAddress(), null);
        req.release();
        try {
            blocking.execute(() -> {
                Response res;
                FileChannel file = null;
                try {
                    res = auth.customer("proxies.read", r -> {
                        UUID id = r.uuidParam("id");
                        return Response.ok(recordings.file(r.principal(CustomerPrincipal.class).customerId(), id, name));
                    }).handle(request);
                    if (res.body() instanceof Recordings.FileEntry f) {
                        file = FileChannel.open(f.path(), StandardOpenOption.READ);
                    }
                } catch (ApiException e) {
                    res = e.asResponse();
                } catch (IOException e) {
                    res = new ApiException(404, ErrorCode.NOT_FOUND, "no recording file named " + name).asResponse();
                } catch (Exception e) {
                    log.error("recording download failed", e);
                    res = ApiException.serverError().asResponse();
                }
                Response out = res;
                FileChannel open = file;
                ctx.executor().execute(() -> write(ctx, keepAlive, out, open));
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            write(ctx, false, ApiException.serverError().asResponse(), null);
        }
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, Response res, FileChannel file) {
        ChannelFuture last;
        if (file != null && res.body() instanceof Recordings.FileEntry f) {
            long size;
            try {
                size = file.size();
            } catch (IOException e) {
                size = f.bytes();
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, Recordings.contentType(f.name()))
                    .set(HttpHeaderNames.CONTENT_LENGTH, size)
                    .set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"" + f.name().replace("screenshots/", "") + "\"")
                    .set("X-Content-Type-Options", "nosniff");
            res.headers().forEach((k, v) -> head.headers().set(k, v));
            HttpUtil.setKeepAlive(head, keepAlive);
            ctx.write(head);
            ctx.write(new DefaultFileRegion(file, 0, size));
            last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            ByteBuf body;
            try {
                body = Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(res.body()));
            } catch (JsonProcessingException e) {
                body = Unpooled.EMPTY_BUFFER;
            }
            FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(res.status()), body);
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            res.headers().forEach((k, v) -> out.headers().set(k, v));
            HttpUtil.setKeepAlive(out, keepAlive);
            last = ctx.writeAndFlush(out);
        }
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        } else {
            last.addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                }
            });
        }
    }
}
