package com.aimlib.gateway.proxy;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.LoginThrottle;
import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.ErrorBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The HTTP proxy front: {@code CONNECT host:port} tunnels and absolute-URI requests
 * ({@code GET http://host/path}), authenticated by {@code Proxy-Authorization: Basic}. One request per
 * client connection: the request head is parsed, then the connection becomes a byte relay (a forwarded
 * request goes to the origin in origin-form with {@code Connection: close}, its body and the response
 * pass through untouched). Refusals are JSON error bodies in the API's envelope.
 */
final class HttpProxyFrontHandler extends ProxyFrontHandler {
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_BYTES = 16384;
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and our own credentials never reach the origin. */
    private static final Set<String> DROPPED = Set.of("proxy-authorization", "proxy-connection", "connection", "keep-alive",
            "proxy-authenticate", "te", "trailer", "upgrade");

    private static final byte[] ESTABLISHED = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private enum State { HEAD, CHECKING, OPENING, RELAYING, CLOSED }

    private State state = State.HEAD;

    HttpProxyFrontHandler(ProxyConnector connector, long handshakeTimeoutMillis) {
        super(connector, handshakeTimeoutMillis);
    }

    static void install(ChannelPipeline p, ProxyConnector connector, long handshakeTimeoutMillis) {
        p.addLast("http-decoder", new HttpRequestDecoder(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 8192));
        p.addLast("http-front", new HttpProxyFrontHandler(connector, handshakeTimeoutMillis));
    }

    /** Where a request goes: the device opens {@code host:port}. */
    record Target(String host, int port) {
    }

    @Override
    void handshakeExpired(ChannelHandlerContext ctx) {
        if (state != State.RELAYING && state != State.CLOSED) {
            respond(ctx, 408, ErrorCode.REQUEST_TIMEOUT.wire(), "no complete request head in time", false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            switch (msg) {
                case HttpRequest request when state == State.HEAD -> request(ctx, request);
                case HttpContent ignored -> {
                    // The empty last part of a body-less request, decoded before the decoder left.
                }
                case ByteBuf b when state == State.CHECKING || state == State.OPENING -> keepEarly(ctx, b.retain());
                default -> {
                    if (state != State.CLOSED) {
                        close(ctx);
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void request(ChannelHandlerContext ctx, HttpRequest request) {
        // One request per connection: the decoder leaves now, so whatever follows the head (a body, a
        // TLS hello after CONNECT) reaches us as raw bytes and is relayed untouched.
        state = State.CHECKING;
        ctx.channel().config().setAutoRead(false);
        ctx.pipeline().remove("http-decoder");
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException) {
                respond(ctx, 414, ErrorCode.URI_TOO_LONG.wire(), "request line longer than " + MAX_INITIAL_LINE + " bytes", false);
            } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
                respond(ctx, 431, ErrorCode.HEADERS_TOO_LARGE.wire(), "request headers larger than " + MAX_HEADER_BYTES + " bytes", false);
            } else {
                respond(ctx, 400, ErrorCode.BAD_REQUEST.wire(), "malformed HTTP request", false);
            }
            return;
        }
        boolean tunnel = HttpMethod.CONNECT.equals(request.method());
        Target target;
        try {
            target = tunnel ? authority(request.uri()) : absolute(request.uri());
        } catch (IllegalArgumentException e) {
            respond(ctx, 400, ErrorCode.BAD_REQUEST.wire(), e.getMessage(), false);
            return;
        }
        String[] credentials = basicCredentials(request.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION));
        if (credentials == null) {
            respond(ctx, 407, Refusal.BAD_CREDENTIALS.code, Refusal.BAD_CREDENTIALS.message, true);
            return;
        }
        connector.access.authenticate(credentials[0], credentials[1],
                LoginThrottle.source(com.aimlib.net.ClientAddress.of(ctx.channel())), ctx.executor()).thenAccept(g -> {
            if (ctx.executor().inEventLoop()) {
                authenticated(ctx, g, request, tunnel, target);
            } else {
                ctx.executor().execute(() -> authenticated(ctx, g, request, tunnel, target));
            }
        });
    }

    private void authenticated(ChannelHandlerContext ctx, ProxyAccess.Grant g, HttpRequest request, boolean tunnel, Target target) {
        if (state != State.CHECKING) {
            return;
        }
        if (g.refusal() != null) {
            refuse(ctx, g.refusal());
            return;
        }
        state = State.OPENING;
        connector.open(ctx.channel(), g, target.host(), target.port(), (conn, stream) -> {
            if (state != State.OPENING) {
                stream.close();
                return;
            }
            state = State.RELAYING;
            if (tunnel) {
                relay(ctx, conn, stream, ctx.alloc().buffer(ESTABLISHED.length).writeBytes(ESTABLISHED), null);
            } else {
                relay(ctx, conn, stream, null, originHead(ctx, request, target));
            }
        }, refusal -> refuse(ctx, refusal));
    }

    private void refuse(ChannelHandlerContext ctx, Refusal r) {
        respond(ctx, r.httpStatus, r.code, r.message, r == Refusal.BAD_CREDENTIALS);
    }

    /** The request as the origin must see it: origin-form target, our headers removed, one request only. */
    static ByteBuf originHead(ChannelHandlerContext ctx, HttpRequest request, Target target) {
        java.net.URI uri = java.net.URI.create(request.uri());
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        StringBuilder head = new StringBuilder(256);
        head.append(request.method().name()).append(' ').append(path).append(' ').append(request.protocolVersion().text()).append("\r\n");
        boolean host = false;
        for (Map.Entry<String, String> h : request.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (DROPPED.contains(name)) {
                continue;
            }
            host |= name.equals("host");
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (!host) {
            boolean v6 = target.host().indexOf(':') >= 0;
            head.append("Host: ").append(v6 ? "[" + target.host() + "]" : target.host());
            if (target.port() != 80) {
                head.append(':').append(target.port());
            }
            head.append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        return ByteBufUtil.writeUtf8(ctx.alloc(), head);
    }

    /** {@code host:port} or {@code [v6]:port}, the CONNECT form (RFC 9110 §9.3.6). */
    static Target authority(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon <= 0 || colon == authority.length() - 1) {
            throw new IllegalArgumentException("CONNECT needs host:port");
        }
        String host = authority.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
            if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                throw new IllegalArgumentException("bad IPv6 literal");
            }
        } else if (!validHostName(host)) {
            throw new IllegalArgumentException("bad host name");
        }
        return new Target(host, port(authority.substring(colon + 1)));
    }

    /** {@code http://host[:port]/...}: the only absolute form we forward (https goes through CONNECT). */
    static Target absolute(String uri) {
        java.net.URI parsed;
        try {
            parsed = new java.net.URI(uri);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("bad request target");
        }
        if (parsed.getScheme() == null || parsed.getRawAuthority() == null) {
            throw new IllegalArgumentException("a proxy request needs an absolute http:// URI or CONNECT");
        }
        if (!parsed.getScheme().equalsIgnoreCase("http")) {
            throw new IllegalArgumentException("only http:// is forwarded; use CONNECT for " + parsed.getScheme());
        }
        if (parsed.getRawUserInfo() != null) {
            throw new IllegalArgumentException("user info in the request target is not forwarded");
        }
        String host = parsed.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("bad host name");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (!validHostName(host)) {
            throw new IllegalArgumentException("bad host name");
        }
        int port = parsed.getPort() == -1 ? 80 : parsed.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad port");
        }
        return new Target(host, port);
    }

    private static boolean validHostName(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '.' && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("bad port");
        }
        int port = Integer.parseInt(s);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad port");
        }
        return port;
    }

    /** {@code [user, password]} from a {@code Basic} credential, or null when absent or malformed. */
    static String[] basicCredentials(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (h.length() < 6 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    private void keepEarly(ChannelHandlerContext ctx, ByteBuf b) {
        if (!keepEarly(b)) {
            respond(ctx, 413, ErrorCode.PAYLOAD_TOO_LARGE.wire(), "too many bytes before the proxy answered", false);
        }
    }

    /** Writes a complete error response and closes. */
    /** What a 503 (device rotating, credential check failed) tells the client to wait before retrying. */
    static final int RETRY_AFTER_S = 5;

    private void respond(ChannelHandlerContext ctx, int status, String code, String message, boolean challenge) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        releaseEarly();
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(new ErrorBody(code, message));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            body = new byte[0];
        }
        StringBuilder head = new StringBuilder(200)
                .append("HTTP/1.1 ").append(status).append(' ').append(com.aimlib.gateway.http.HttpStatuses.of(status).reasonPhrase()).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        if (challenge) {
            head.append("Proxy-Authenticate: Basic realm=\"aimlib\"\r\n");
        }
        if (status == 503) {
            // A rotating device or a database hiccup: both pass within seconds, and clients that honour it wait.
            head.append("Retry-After: ").append(RETRY_AFTER_S).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf out = ctx.alloc().buffer(head.length() + body.length);
        out.writeCharSequence(head, StandardCharsets.US_ASCII);
        out.writeBytes(body);
        Channel ch = ctx.channel();
        ch.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            if (state == State.CHECKING || state == State.OPENING) {
                clientInputEnded = true;
            } else if (state != State.CLOSED) {
                close(ctx);
            }
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state != State.RELAYING) {
            state = State.CLOSED;
        }
        super.channelInactive(ctx);
    }

    @Override
    void markClosed() {
        state = State.CLOSED;
    }
}
