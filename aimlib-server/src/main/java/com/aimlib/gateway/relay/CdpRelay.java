package com.aimlib.gateway.relay;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.net.EventLoops;
import com.aimlib.protocol.host.SpareTabMark;
import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDP relay at the gateway:
 * <ul>
 *   <li>{@code GET /cdp/{id}} (WebSocket) — the session's browser endpoint</li>
 *   <li>{@code GET /cdp/{id}/devtools/page/{target}}, {@code …/devtools/browser/{target}} (WebSocket) — one target</li>
 *   <li>{@code GET /cdp/{id}/json/version}, {@code /json/list}, {@code /json} — discovery, URLs pointing back here</li>
 * </ul>
 * Every request carries {@code Authorization: Bearer <connect_token>}. The token and session state are
 * checked on a virtual thread; the upstream WebSocket is opened on the client's own event loop and the
 * client's handshake completes only once the browser accepted, so a client never sees a half relay. Every CDP
 * call from the client passes the {@link CdpGuard} first (no host files, no other session's data, no way around
 * the device).
 */
public final class CdpRelay {
    private static final Logger log = LoggerFactory.getLogger(CdpRelay.class);
    /** Above the 50 MB messages (full-page screenshots) the relay must carry in one frame. */
    static final int MAX_FRAME = 128 * 1024 * 1024;
    private static final WriteBufferWaterMark RELAY_WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);
    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,255}");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final BrowserSessions sessions;
    private final ExecutorService blocking;
    private final Supplier<String> publicAuthority;
    /** {@code wss://host} (or ws://) from the configured public URL; null: discovery URLs follow the request's Host. */
    private final String publicWsBase;

    /** Open relay connections (client side) by lease and by customer: suspension and lease end close them. */
    private final AccessChannels open = new AccessChannels();
    /** Apply the identity on each client's own sessions as their targets attach ({@link ClientIdentity}); off only in the identity bench. */
    private volatile boolean clientIdentity = true;
    /** One tab counter per session with relay clients, shared by them (max_tabs is per session, not per connection). */
    private final Map<UUID, TabSlot> tabs = new ConcurrentHashMap<>();

    private static final class TabSlot {
        TabCounter counter;
        /** The session's spare tab on this replica (null: spare tabs are off). */
        SpareTabs spares;
        int users;
        boolean closed;
    }

    /** Keep a spare blank tab per session with relay clients ({@link SpareTabs}); on by default. */
    private volatile boolean spareTabs = true;
    private final java.util.concurrent.atomic.AtomicLong sparesServed = new java.util.concurrent.atomic.AtomicLong();

    /** How long a client is held for a session whose host still applies the identity (it takes tens of milliseconds). */
    private static final Duration IDENTITY_WAIT = Duration.ofSeconds(15);

    public CdpRelay(BrowserSessions sessions, ExecutorService blocking, Supplier<String> publicAuthority, String publicWsBase) {
        this.sessions = sessions;
        this.blocking = blocking;
        this.publicAuthority = publicAuthority;
        this.publicWsBase = publicWsBase;
    }

    public void register(Router router) {
        // Puppeteer's connect({browserURL: "<gateway>/cdp/<id>", headers}) asks /json/version at the host root: the
        // connect token it sends names the session.
        router.get("/json/version", this::rootVersion);
        router.raw(HttpMethod.GET, "/cdp/{id}", (ctx, req, p) -> upgrade(ctx, req, p.get("id"), null));
        router.raw(HttpMethod.GET, "/cdp/{id}/devtools/page/{target}", (ctx, req, p) -> upgrade(ctx, req, p.get("id"), "/devtools/page/" + p.get("target")));
        router.raw(HttpMethod.GET, "/cdp/{id}/devtools/browser/{target}", (ctx, req, p) -> upgrade(ctx, req, p.get("id"), ""));
        router.get("/cdp/{id}/json/version", this::version);
        router.get("/cdp/{id}/json/list", this::list);
        router.get("/cdp/{id}/json", this::list);
    }

    /** Whether new relay connections apply the session's identity on the client's own CDP sessions (default on; the identity bench turns it off). */
    public void clientIdentity(boolean on) {
        this.clientIdentity = on;
    }

    /**
     * Whether sessions whose first relay client connects from now on keep a spare blank tab for new tabs
     * ({@link SpareTabs}; default on). Benches and tests compare with it off.
     */
    public void spareTabs(boolean on) {
        this.spareTabs = on;
    }

    /** Whether the session has a spare tab ready on this replica (it has relay clients here and spares are on). */
    public boolean spareTabReady(UUID sessionId) {
        TabSlot slot = tabs.get(sessionId);
        return slot != null && slot.spares != null && slot.spares.ready();
    }

    /** New tabs answered with a spare tab by this process since it started. */
    public long spareTabsServed() {
        return sparesServed.get();
    }

    /** Publishes {@code aimlib_relay_spare_tabs_served_total}. */
    public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.FunctionCounter.builder("aimlib.relay.spare.tabs.served", sparesServed,
                        java.util.concurrent.atomic.AtomicLong::doubleValue)
                .description("New tabs a relay client opened that were answered with a spare tab, the identity already in effect")
                .register(registry);
    }

    /**
     * The index of this process's open client connections to sessions' browsers by lease and customer: the relay's
     * and the live view's (which tracks its viewers here too), so one call closes both.
     */
    public AccessChannels accessChannels() {
        return open;
    }

    /** The leases this process has an open relay or live-view connection of. */
    public java.util.Set<UUID> openLeases() {
        return open.leases();
    }

    /** Closes every open relay and live-view connection of the lease (lease end); new ones are refused by {@code authorize}. */
    public int closeLease(UUID leaseId) {
        return open.closeLease(leaseId);
    }

    /** Closes every open relay and live-view connection of the customer (suspension); new ones are refused by {@code authorize}. */
    public int closeCustomer(UUID customerId) {
        return open.closeCustomer(customerId);
    }

    // ---- discovery ----

    private Response version(Request r) throws IOException, InterruptedException {
        String id = r.param("id");
        BrowserSessions.RelayTarget t = sessions.authorize(id, ApiKeyAuth.bearer(r.header("Authorization")));
        JsonNode v = fetch(t, "/json/version");
        if (!(v instanceof ObjectNode o)) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer");
        }
        o.put("webSocketDebuggerUrl", wsBase(r) + "/cdp/" + t.sessionId());
        return Response.ok(o);
    }

    /**
     * {@code GET /json/version} at the root: what Puppeteer's {@code browserURL} form asks (it resolves {@code /json/version}
     * against the URL, dropping {@code /cdp/<id>}). The connect token names the session (tokens are unique, looked up by
     * hash): the answer is that session's own {@code /json/version}, pointing at {@code /cdp/<id>}. Without a token there is
     * no session to name: 401 with the way out (Puppeteer before 25.5 sends no headers in this form).
     */
    private Response rootVersion(Request r) throws IOException, InterruptedException {
        String token = ApiKeyAuth.bearer(r.header("Authorization"));
        if (token == null) {
            throw new ApiException(401, ErrorCode.UNAUTHORIZED, "send the session's connect token (Authorization: Bearer <connect_token>); "
                    + "Puppeteer sends headers with browserURL from 25.5.0 on, older versions need connect({browserWSEndpoint: connect_url, headers})");
        }
        BrowserSessions.RelayTarget t = sessions.authorizeByToken(token);
        JsonNode v = fetch(t, "/json/version");
        if (!(v instanceof ObjectNode o)) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer");
        }
        o.put("webSocketDebuggerUrl", wsBase(r) + "/cdp/" + t.sessionId());
        return Response.ok(o);
    }

    private Response list(Request r) throws IOException, InterruptedException {
        String id = r.param("id");
        BrowserSessions.RelayTarget t = sessions.authorize(id, ApiKeyAuth.bearer(r.header("Authorization")));
        JsonNode v = fetch(t, "/json/list");
        if (!v.isArray()) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer");
        }
        String base = wsBase(r) + "/cdp/" + t.sessionId();
        String spare = SpareTabMark.prefix(t.sessionId());
        for (java.util.Iterator<JsonNode> it = v.iterator(); it.hasNext(); ) {
            JsonNode n = it.next();
            if (n.path("url").asText("").startsWith(spare)) {
                it.remove(); // a waiting spare tab is nobody's yet (SpareTabs)
                continue;
            }
            if (n.path("title").asText("").startsWith(spare) && n instanceof ObjectNode o) {
                o.put("title", "about:blank");
            }
            if (n instanceof ObjectNode o) {
                o.remove("devtoolsFrontendUrl");
                o.remove("devtoolsFrontendUrlCompat");
                String ws = o.path("webSocketDebuggerUrl").asText("");
                int at = ws.indexOf("/devtools/");
                if (at >= 0) {
                    o.put("webSocketDebuggerUrl", base + ws.substring(at));
                }
            }
        }
        return Response.ok(v);
    }

    private JsonNode fetch(BrowserSessions.RelayTarget t, String path) throws InterruptedException {
        try {
            java.net.http.HttpRequest.Builder get = java.net.http.HttpRequest.newBuilder(t.upstream(false, path)).timeout(Duration.ofSeconds(10));
            t.upstreamHeaders().forEach(get::header);
            HttpResponse<String> res = HTTP.send(get.build(), HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) {
                throw new IOException("status " + res.statusCode());
            }
            return Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer");
        }
    }

    private String wsBase(Request r) {
        return publicWsBase != null ? publicWsBase : "ws://" + authority(r);
    }

    private String authority(Request r) {
        String host = r.header("Host");
        return host != null && HOST.matcher(host).matches() ? host : publicAuthority.get();
    }

    // ---- WebSocket ----

    /** {@code upstreamPath}: null for the browser endpoint, "" for an explicit browser target, else a page path. */
    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, String id, String upstreamPath) {
        if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
            reply(ctx, req, new ApiException(400, ErrorCode.BAD_REQUEST, "expected a WebSocket upgrade").asResponse());
            return;
        }
        if (upstreamPath != null && upstreamPath.startsWith("/devtools/page/")
                && !TARGET.matcher(upstreamPath.substring("/devtools/page/".length())).matches()) {
            reply(ctx, req, ApiException.shortForm(404, "session_not_found").asResponse());
            return;
        }
        String token = ApiKeyAuth.bearer(req.headers().get(HttpHeaderNames.AUTHORIZATION));
        relay(ctx, req, () -> sessions.authorize(id, token), upstreamPath);
    }

    /**
     * A guarded relay to the session's browser ({@code upstreamPath} null or "": its browser endpoint; else a page
     * path) for a WebSocket upgrade that {@code authorize} checks (blocking, on a virtual thread; it throws the
     * answer to refuse): the connect token above, or a signed inspector link (issue 14). Every client call passes
     * the {@link CdpGuard}.
     */
    public void relay(ChannelHandlerContext ctx, FullHttpRequest req, Supplier<BrowserSessions.RelayTarget> authorize, String upstreamPath) {
        if (!"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
            reply(ctx, req, new ApiException(400, ErrorCode.BAD_REQUEST, "expected a WebSocket upgrade").asResponse());
            return;
        }
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        Runnable check = () -> {
            BrowserSessions.RelayTarget t;
            TabSlot counter;
            TargetOverrides identity;
            try {
                t = authorize.get();
                // Nothing of a client reaches the browser before the session's identity is in effect (issue 10).
                sessions.awaitIdentity(t.sessionId(), IDENTITY_WAIT);
                identity = overrides(t);
                counter = acquireTabs(t, client, identity);
            } catch (IOException e) {
                log.warn("relay tab counter failed cause={}", e.toString());
                client.eventLoop().execute(() -> reply(ctx, req, hostUnavailable()));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                client.eventLoop().execute(() -> reply(ctx, req, hostUnavailable()));
                return;
            } catch (ApiException e) {
                client.eventLoop().execute(() -> reply(ctx, req, e.asResponse()));
                return;
            } catch (RuntimeException e) {
                log.warn("relay authorization failed cause={}", e.toString());
                client.eventLoop().execute(() -> reply(ctx, req, ApiException.serverError().asResponse()));
                return;
            }
            String path = upstreamPath == null || upstreamPath.isEmpty() ? t.cdpPath() : upstreamPath;
            client.eventLoop().execute(() -> connectUpstream(ctx, req, t, path, counter, identity));
        };
        try {
            blocking.execute(check);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reply(ctx, req, hostUnavailable());
        }
    }

    /** The per-target identity commands of the session (blocking: parses the profile); null when none applies. */
    private TargetOverrides overrides(BrowserSessions.RelayTarget t) {
        if (!clientIdentity || t.resolvedProfile() == null) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(t.resolvedProfile()) instanceof ObjectNode o && o.has("user_agent")
                    ? TargetOverrides.of(o, t.sessionId()) : null;
        } catch (IOException e) {
            log.warn("session's resolved profile unreadable session={}", t.sessionId());
            return null;
        }
    }

    private void connectUpstream(ChannelHandlerContext ctx, FullHttpRequest req, BrowserSessions.RelayTarget t, String path,
                                 TabSlot counter, TargetOverrides identity) {
        Channel client = ctx.channel();
        // In process: the browser's DevTools on its host's loopback; a remote host: its relay endpoint for this session (issue 12).
        URI uri = t.upstream(true, path);
        io.netty.handler.codec.http.HttpHeaders extra = t.upstreamHeaders().isEmpty() ? EmptyHttpHeaders.INSTANCE
                : new io.netty.handler.codec.http.DefaultHttpHeaders();
        t.upstreamHeaders().forEach(extra::add);
        WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, null, false,
                extra, MAX_FRAME, true, false, 10_000L, false, false);
        Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(EventLoops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("http", new HttpClientCodec())
                                .addLast("aggregate", new HttpObjectAggregator(65536))
                                .addLast("handshake", new UpstreamHandshake(hs, ctx, req, t, counter, identity));
                    }
                });
        b.connect(uri.getHost(), uri.getPort()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                reply(ctx, req, hostUnavailable());
            }
        });
    }

    /**
     * The session's tab counter, opened by its first relay client and closed after its last one left (blocking: the
     * authorization's virtual thread). Popups a page opened while nobody was connected are counted at the next open.
     */
    private TabSlot acquireTabs(BrowserSessions.RelayTarget t, Channel client, TargetOverrides identity) throws IOException, InterruptedException {
        while (true) {
            TabSlot slot = tabs.computeIfAbsent(t.sessionId(), k -> new TabSlot());
            synchronized (slot) {
                if (slot.closed) {
                    continue;
                }
                if (slot.counter == null) {
                    String mark = spareTabs ? SpareTabMark.prefix(t.sessionId()) : null;
                    try {
                        slot.counter = TabCounter.open(t.upstream(true, t.cdpPath()), t.upstreamHeaders(), sessions.maxTabs(),
                                java.time.Clock.systemUTC(), mark);
                    } catch (IOException | InterruptedException e) {
                        slot.closed = true;
                        tabs.remove(t.sessionId(), slot);
                        throw e;
                    }
                    if (mark != null) {
                        slot.spares = new SpareTabs(slot.counter, mark, identity == null ? null : identity.appliedProbe(), blocking, sparesServed);
                        slot.spares.start();
                    }
                }
                slot.users++;
                client.closeFuture().addListener(f -> releaseTabs(t.sessionId(), slot));
                return slot;
            }
        }
    }

    private void releaseTabs(UUID sessionId, TabSlot slot) {
        synchronized (slot) {
            if (--slot.users == 0) {
                slot.closed = true;
                tabs.remove(sessionId, slot);
                TabCounter counter = slot.counter;
                if (slot.spares == null) {
                    counter.close();
                } else {
                    // The waiting spare is closed first, on the counter's connection (without blocking this event loop).
                    slot.spares.shutdown().whenComplete((v, e) -> counter.close());
                }
            }
        }
    }

    /** Both legs speak plain WebSocket without extensions, so the relay passes frame bytes untouched. */
    private static void removeFrameCodecs(Channel ch) {
        while (ch.pipeline().get(WebSocketFrameDecoder.class) != null) {
            ch.pipeline().remove(WebSocketFrameDecoder.class);
        }
        while (ch.pipeline().get(WebSocketFrameEncoder.class) != null) {
            ch.pipeline().remove(WebSocketFrameEncoder.class);
        }
    }

    private static Response hostUnavailable() {
        return new ApiException(503, ErrorCode.HOST_UNAVAILABLE, "the session's browser did not answer").asResponse();
    }

    /** Completes the upstream handshake, then the client's, then splices the two. */
    private final class UpstreamHandshake extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final WebSocketClientHandshaker hs;
        private final ChannelHandlerContext clientCtx;
        private final FullHttpRequest req;
        private final BrowserSessions.RelayTarget target;
        private final TabSlot counter;
        private final TargetOverrides identity;

        UpstreamHandshake(WebSocketClientHandshaker hs, ChannelHandlerContext clientCtx, FullHttpRequest req, BrowserSessions.RelayTarget target,
                          TabSlot counter, TargetOverrides identity) {
            this.hs = hs;
            this.clientCtx = clientCtx;
            this.req = req;
            this.target = target;
            this.identity = identity;
            this.counter = counter;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            hs.handshake(ctx.channel());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            Channel upstream = ctx.channel();
            Channel client = clientCtx.channel();
            try {
                hs.finishHandshake(upstream, res);
            } catch (RuntimeException e) {
                upstream.close();
                reply(clientCtx, req, hostUnavailable());
                return;
            }
            if (!client.isActive()) {
                upstream.close();
                req.release();
                return;
            }
            upstream.config().setAutoRead(false);
            WebSocketDecoderConfig dc = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_FRAME)
                    .allowExtensions(false).closeOnProtocolViolation(true).build();
            String wsUrl = "ws://" + publicAuthority.get() + req.uri();
            WebSocketServerHandshaker server = new WebSocketServerHandshakerFactory(wsUrl, null, dc).newHandshaker(req);
            if (server == null) {
                upstream.close();
                reply(clientCtx, req, new ApiException(426, ErrorCode.UPGRADE_REQUIRED, "unsupported WebSocket version; use 13")
                        .asResponse().withHeader("Sec-WebSocket-Version", "13"));
                return;
            }
            UUID id = target.sessionId();
            server.handshake(client, req).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    upstream.close();
                    client.close();
                    return;
                }
                sessions.clientConnected(id);
                open.track(client, target.leaseId(), target.customerId());
                FrameRelay.Activity toBrowser = new FrameRelay.Activity() {
                    @Override
                    public void traffic() {
                        sessions.touch(id);
                    }

                    @Override
                    public void closed() {
                        sessions.clientDisconnected(id);
                    }
                };
                FrameRelay.Activity fromBrowser = new FrameRelay.Activity() {
                    @Override
                    public void traffic() {
                        sessions.touch(id);
                    }

                    @Override
                    public void closed() {
                    }
                };
                removeFrameCodecs(client);
                removeFrameCodecs(upstream);
                // Large CDP messages (screenshots) stream in bulk; a 64 KiB high-water mark would stall them in small bursts.
                client.config().setWriteBufferWaterMark(RELAY_WATER_MARK);
                upstream.config().setWriteBufferWaterMark(RELAY_WATER_MARK);
                client.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(512, 64 * 1024, 1 << 20));
                upstream.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(512, 64 * 1024, 1 << 20));
                FrameRelay browserToClient = new FrameRelay(client, fromBrowser);
                CdpGuard guard = new CdpGuard(target.downloadsDir(), counter.counter);
                GuardedFrameRelay clientToBrowser = new GuardedFrameRelay(upstream, toBrowser, counter.spares == null ? guard : guard.withSpares(),
                        browserToClient, id.toString());
                SpareFilter spares = counter.spares == null ? null : new SpareFilter(counter.spares.mark(), browserToClient);
                FrameRelay.Watcher watcher = identity == null ? null
                        : new ClientIdentity(identity, clientToBrowser, id.toString(), spares == null ? t -> false : spares::served);
                if (spares != null) {
                    // Spares first: what a client must not hear of never reaches the per-client identity either.
                    clientToBrowser.spares(counter.spares, spares);
                    FrameRelay.Watcher identityWatcher = watcher;
                    watcher = identityWatcher == null ? spares : p -> spares.dropFromBrowser(p) || identityWatcher.dropFromBrowser(p);
                }
                if (watcher != null) {
                    browserToClient.watch(watcher);
                }
                client.pipeline().addLast("relay", clientToBrowser);
                upstream.pipeline().addLast("relay", browserToClient);
                upstream.config().setAutoRead(true);
                client.config().setAutoRead(true);
            });
            client.pipeline().remove("dispatch");
            req.release();
            upstream.pipeline().remove(this);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            if (clientCtx.channel().pipeline().get("dispatch") != null) {
                reply(clientCtx, req, hostUnavailable());
            }
        }
    }

    /** Writes a JSON response on the event loop and closes; releases the request. */
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
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, com.aimlib.gateway.http.HttpStatuses.of(r.status()), body);
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        for (Map.Entry<String, String> h : r.headers().entrySet()) {
            out.headers().set(h.getKey(), h.getValue());
        }
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }
}
