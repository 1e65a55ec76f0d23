package com.aimlib.gateway.live;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.relay.CdpRelay;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.protocol.SessionPagesBody;
import com.aimlib.store.Secrets;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live view and inspector of a session's tabs (issue 14):
 * <ul>
 *   <li>{@code GET /v1/sessions/{id}/pages} (proxies.read) — the open tabs with signed links: a read-only live view for
 *   every key; an interactive live view and a DevTools inspector only for a key that also holds sessions.write</li>
 *   <li>{@code GET /live/{id}/{tab}?mode&exp&sig} — the live-view page (HTML)</li>
 *   <li>{@code GET /live/{id}/{tab}/ws?…} (WebSocket) — the tab's screencast; input only on a {@code control} link</li>
 *   <li>{@code GET /live/{id}/{tab}/inspect?…} (WebSocket) — the tab's CDP through the relay and its guard</li>
 * </ul>
 * The {@code /live} routes take a signed link ({@link LiveLinks}) or {@code Authorization: Bearer <connect_token>};
 * the browser's host is never named in anything a customer sees.
 */
public final class LiveRoutes {
    private static final Logger log = LoggerFactory.getLogger(LiveRoutes.class);
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,255}");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final int DEFAULT_LINK_TTL = 900;
    static final int MAX_LINK_TTL = 86_400;

    private final BrowserSessions sessions;
    private final CdpRelay relay;
    private final LiveLinks links;
    private final ExecutorService blocking;
    private final Clock clock;
    private final Supplier<String> publicAuthority;
    private final String publicUrl;
    private final String page;
    /** The relay's index: a lease end or suspension closes viewers with the relay's own connections. */
    private final com.aimlib.gateway.relay.AccessChannels open;

    public LiveRoutes(BrowserSessions sessions, CdpRelay relay, LiveLinks links, ExecutorService blocking, Clock clock,
                      Supplier<String> publicAuthority, String publicUrl) {
        this.sessions = sessions;
        this.relay = relay;
        this.open = relay.accessChannels();
        this.links = links;
        this.blocking = blocking;
        this.clock = clock;
        this.publicAuthority = publicAuthority;
        this.publicUrl = publicUrl == null ? null : publicUrl.replaceAll("/+$", "");
        try (InputStream in = LiveRoutes.class.getResourceAsStream("/live/live.html")) {
            this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("live/live.html missing from the distribution", e);
        }
    }

    public void register(Router router, ApiKeyAuth auth) {
        router.get("/v1/sessions/{id}/pages", auth.customer("proxies.read", this::pages));
        router.get("/live/{id}/{target}", this::viewer);
        router.raw(HttpMethod.GET, "/live/{id}/{target}/ws", this::screencast);
        router.raw(HttpMethod.GET, "/live/{id}/{target}/inspect", this::inspect);
    }

    // ---- GET /v1/sessions/{id}/pages ----

    private Response pages(Request r) throws InterruptedException {
        UUID id = r.uuidParam("id");
        CustomerPrincipal caller = r.principal(CustomerPrincipal.class);
        int ttl = linkTtl(r.queryParam("link_ttl"));
        AtomicReference<byte[]> hash = new AtomicReference<>();
        BrowserSessions.RelayTarget t = sessions.authorize(id.toString(), (h, customer) -> {
            if (!customer.equals(caller.customerId())) {
                throw ApiException.shortForm(404, "session_not_found");
            }
            hash.set(h);
        });
        if (hash.get() == null) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser is not reachable");
        }
        boolean write = caller.scopes().contains("sessions.write");
        Instant expires = clock.instant().plusSeconds(ttl);
        String http = httpBase(r);
        String wsAuthority = http.substring(http.indexOf("://") + 3);
        boolean tls = http.startsWith("https://");
        List<SessionPagesBody.Page> out = new java.util.ArrayList<>();
        String spare = com.aimlib.protocol.host.SpareTabMark.prefix(t.sessionId());
        for (JsonNode n : targets(t)) {
            if (!"page".equals(n.path("type").asText()) || !TARGET.matcher(n.path("id").asText()).matches()
                    || n.path("url").asText("").startsWith(spare)) {
                continue; // a waiting spare tab of the relay is no tab of the customer's yet
            }
            String tab = n.path("id").asText();
            String base = "/live/" + id + "/" + tab;
            String view = http + base + "?" + links.sign(id, tab, LiveLinks.Mode.VIEW, expires, hash.get()).query();
            String control = null;
            String inspector = null;
            String inspectorWs = null;
            if (write) {
                control = http + base + "?" + links.sign(id, tab, LiveLinks.Mode.CONTROL, expires, hash.get()).query();
                String inspect = wsAuthority + base + "/inspect?" + links.sign(id, tab, LiveLinks.Mode.INSPECT, expires, hash.get()).query();
                inspector = "devtools://devtools/bundled/inspector.html?" + (tls ? "wss=" : "ws=") + URLEncoder.encode(inspect, StandardCharsets.UTF_8);
                inspectorWs = (tls ? "wss://" : "ws://") + inspect;
            }
            String title = n.path("title").asText("");
            if (title.startsWith(spare)) {
                title = "about:blank"; // a handed-out spare tab, not navigated yet
            }
            out.add(new SessionPagesBody.Page(tab, n.path("url").asText(""), title, view, control, inspector, inspectorWs));
        }
        SessionPagesBody body = new SessionPagesBody(id, Instant.ofEpochSecond(expires.getEpochSecond()), out);
        return Response.ok(body);
    }

    private static int linkTtl(String raw) {
        if (raw == null) {
            return DEFAULT_LINK_TTL;
        }
        try {
            int v = Integer.parseInt(raw.trim());
            if (v >= 10 && v <= MAX_LINK_TTL) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("link_ttl must be between 10 and " + MAX_LINK_TTL);
    }

    private static JsonNode targets(BrowserSessions.RelayTarget t) throws InterruptedException {
        try {
            java.net.http.HttpRequest.Builder get = java.net.http.HttpRequest.newBuilder(t.upstream(false, "/json/list"))
                    .timeout(Duration.ofSeconds(10));
            t.upstreamHeaders().forEach(get::header);
            HttpResponse<String> res = HTTP.send(get.build(), HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                throw new IOException("status " + res.statusCode());
            }
            JsonNode v = Json.MAPPER.readTree(res.body());
            if (v.isArray()) {
                return v;
            }
        } catch (IOException e) {
            log.debug("tab list failed session={} cause={}", t.sessionId(), e.toString());
        }
        throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer");
    }

    private String httpBase(Request r) {
        if (publicUrl != null) {
            return publicUrl;
        }
        String host = r.header("Host");
        return "http://" + (host != null && HOST.matcher(host).matches() ? host : publicAuthority.get());
    }

    // ---- the viewer page ----

    private Response viewer(Request r) {
        UUID id = r.uuidParam("id");
        String tab = r.param("target");
        if (!TARGET.matcher(tab).matches()) {
            throw ApiException.shortForm(404, "session_not_found");
        }
        LiveLinks.Mode mode = "control".equals(r.queryParam("mode")) ? LiveLinks.Mode.CONTROL : LiveLinks.Mode.VIEW;
        sessions.authorize(id.toString(), access(id, tab, mode, r.queryParam("mode"), r.queryParam("exp"), r.queryParam("sig"),
                r.header("Authorization")));
        String host = r.header("Host");
        String authority = host != null && HOST.matcher(host).matches() ? host : publicAuthority.get();
        String html = page.replace("{{MODE}}", mode.wire());
        return Response.of(200, new Response.Text("text/html; charset=utf-8", html))
                .withHeader("Content-Security-Policy", "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; "
                        + "script-src 'unsafe-inline'; connect-src ws://" + authority + " wss://" + authority)
                .withHeader("Referrer-Policy", "no-referrer")
                .withHeader("Cache-Control", "no-store")
                .withHeader("X-Content-Type-Options", "nosniff");
    }

    /** A signed link for {@code want}, or (no signature) the session's connect token. */
    private BrowserSessions.Access access(UUID id, String tab, LiveLinks.Mode want, String mode, String exp, String sig, String authorization) {
        String token = sig == null ? ApiKeyAuth.bearer(authorization) : null;
        return (hash, customer) -> {
            if (sig == null) {
                if (token == null || hash == null || !Secrets.same(hash, Secrets.hash(token))) {
                    throw ApiException.unauthorized();
                }
                return;
            }
            links.verify(id, tab, want, mode, exp, sig, hash);
        };
    }

    // ---- WebSockets ----

    private void screencast(ChannelHandlerContext ctx, FullHttpRequest req, Map<String, String> params) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String mode = first(q, "mode");
        String tab = params.get("target");
        UUID id = com.aimlib.gateway.http.Uuids.parseOrNull(params.get("id"));
        if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
            reply(ctx, req, new ApiException(400, ErrorCode.BAD_REQUEST, "expected a WebSocket upgrade").asResponse());
            return;
        }
        if (id == null || !TARGET.matcher(tab).matches()) {
            reply(ctx, req, ApiException.shortForm(404, "session_not_found").asResponse());
            return;
        }
        String sig = first(q, "sig");
        // With the connect token instead of a link, the caller already holds the whole CDP: input is allowed if asked.
        LiveLinks.Mode want = "control".equals(mode) ? LiveLinks.Mode.CONTROL : LiveLinks.Mode.VIEW;
        BrowserSessions.Access access = access(id, tab, want, mode, first(q, "exp"), sig, req.headers().get(HttpHeaderNames.AUTHORIZATION));
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        try {
            blocking.execute(() -> {
                BrowserSessions.RelayTarget t;
                try {
                    t = sessions.authorize(id.toString(), access);
                } catch (ApiException e) {
                    client.eventLoop().execute(() -> reply(ctx, req, e.asResponse()));
                    return;
                } catch (RuntimeException e) {
                    log.warn("live view authorization failed cause={}", e.toString());
                    client.eventLoop().execute(() -> reply(ctx, req, ApiException.serverError().asResponse()));
                    return;
                }
                client.eventLoop().execute(() -> accept(ctx, req, t, tab, want == LiveLinks.Mode.CONTROL));
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reply(ctx, req, new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the gateway is shutting down").asResponse());
        }
    }

    private void accept(ChannelHandlerContext ctx, FullHttpRequest req, BrowserSessions.RelayTarget t, String tab, boolean interactive) {
        Channel client = ctx.channel();
        WebSocketDecoderConfig dc = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(64 * 1024).allowExtensions(false)
                .closeOnProtocolViolation(true).build();
        WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://" + publicAuthority.get() + req.uri(), null, dc).newHandshaker(req);
        if (hs == null) {
            reply(ctx, req, new ApiException(426, ErrorCode.UPGRADE_REQUIRED, "unsupported WebSocket version; use 13").asResponse()
                    .withHeader("Sec-WebSocket-Version", "13"));
            return;
        }
        LiveViewHandler handler = new LiveViewHandler(t, tab, interactive, sessions, blocking);
        hs.handshake(client, req).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                client.close();
                return;
            }
            open.track(client, t.leaseId(), t.customerId());
            client.pipeline().addLast("live", handler);
            handler.start(client);
            client.config().setAutoRead(true);
        });
        client.pipeline().remove("dispatch");
        req.release();
    }

    private void inspect(ChannelHandlerContext ctx, FullHttpRequest req, Map<String, String> params) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String tab = params.get("target");
        UUID id = com.aimlib.gateway.http.Uuids.parseOrNull(params.get("id"));
        if (id == null || !TARGET.matcher(tab).matches()) {
            reply(ctx, req, ApiException.shortForm(404, "session_not_found").asResponse());
            return;
        }
        BrowserSessions.Access access = access(id, tab, LiveLinks.Mode.INSPECT, first(q, "mode"), first(q, "exp"), first(q, "sig"),
                req.headers().get(HttpHeaderNames.AUTHORIZATION));
        relay.relay(ctx, req, () -> sessions.authorize(id.toString(), access), "/devtools/page/" + tab);
    }

    private static String first(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Writes a JSON error on the event loop and closes; releases the request. */
    private static void reply(ChannelHandlerContext ctx, FullHttpRequest req, Response r) {
        if (req.refCnt() > 0) {
            req.release();
        }
        ByteBuf body;
        try {
            body = Unpooled.wrappedBuffer(Json.MAPPER.writeValueAsBytes(r.body()));
        } catch (JsonProcessingException e) {
            body = Unpooled.EMPTY_BUFFER;
        }
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), body);
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        r.headers().forEach((k, v) -> out.headers().set(k, v));
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }
}
