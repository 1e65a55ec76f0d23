package com.aimlib.agent;

import com.aimlib.net.tunnel.TunnelProtocol;
import com.aimlib.net.EventLoops;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent end of one stream the gateway opened. A {@code CONNECT host:port} is resolved on the agent,
 * checked against the {@link EgressPolicy} on the address it resolved to (a refusal answers {@code 403
 * forbidden}), connected from the device's binding, answered {@code 200}, then pumped both ways: the stream
 * stops being read while the target socket is not writable (the gateway's window then runs dry), and the
 * target stops being read while the stream has no window. END_STREAM and TCP half-close map onto each other. Control
 * streams ({@code /agent/v1/status}, {@code /agent/v1/rotate}) get a JSON answer.
 */
final class AgentStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AgentStreamHandler.class);
    private static final Counter EGRESS_REFUSED = Counter.builder("aimlib.agent.egress.refused")
            .description("CONNECTs refused by the agent's egress policy").register(Metrics.globalRegistry);

    private enum State { HEADERS, CONNECTING, OPEN, DONE }

    private final DeviceAgent device;
    private State state = State.HEADERS;
    private Channel target;
    private ArrayDeque<Object> early;
    private boolean inputEnded;

    AgentStreamHandler(DeviceAgent device) {
        this.device = device;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case HEADERS -> onRequest(ctx, msg);
            case CONNECTING -> {
                if (early == null) {
                    early = new ArrayDeque<>();
                }
                early.add(msg);
            }
            case OPEN -> toTarget(ctx, msg);
            case DONE -> ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame frame)) {
            ReferenceCountUtil.release(msg);
            state = State.DONE;
            ctx.close();
            return;
        }
        Http2Headers h = frame.headers();
        CharSequence method = h.method();
        if (method != null && "CONNECT".contentEquals(method)) {
            onConnect(ctx, frame);
        } else if (method != null && "GET".contentEquals(method) && h.path() != null
                && TunnelProtocol.STATUS_PATH.contentEquals(h.path())) {
            state = State.DONE;
            device.statusJson().whenComplete((json, err) -> ctx.executor().execute(() ->
                    answer(ctx, err == null ? 200 : 500, err == null ? json : "{\"error\":\"status_failed\"}")));
        } else if (method != null && "GET".contentEquals(method) && h.path() != null
                && TunnelProtocol.HEALTH_PATH.contentEquals(h.path())) {
            state = State.DONE;
            device.healthJson().whenComplete((json, err) -> ctx.executor().execute(() ->
                    answer(ctx, err == null ? 200 : 500, err == null ? json : "{\"error\":\"health_failed\"}")));
        } else if (method != null && "POST".contentEquals(method) && h.path() != null
                && TunnelProtocol.ROTATE_PATH.contentEquals(h.path())) {
            state = State.DONE;
            device.rotate().whenComplete((answer, err) -> ctx.executor().execute(() -> {
                if (err != null) {
                    answer(ctx, 500, "{\"error\":\"rotation_failed\"}");
                } else {
                    answer(ctx, answer.status(), answer.json());
                }
            }));
        } else {
            refuse(ctx, 400, TunnelProtocol.REASON_BAD_REQUEST);
        }
    }

    private void onConnect(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        Http2Headers h = frame.headers();
        HostPort target = h.path() != null || h.scheme() != null || frame.isEndStream() ? null : HostPort.parse(h.authority());
        if (target == null) {
            refuse(ctx, 400, TunnelProtocol.REASON_BAD_REQUEST);
            return;
        }
        if (device.rotating()) {
            refuse(ctx, 503, TunnelProtocol.REASON_ROTATING);
            return;
        }
        state = State.CONNECTING;
        ctx.channel().config().setAutoRead(false);
        device.track(ctx.channel());
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(target.host());
        if (literal != null) {
            connect(ctx, null, literal, target.port());
            return;
        }
        if (NumericHost.endsInNumber(target.host())) {
            // An IPv4 address in another spelling: read here, never by a resolver that may read it otherwise.
            InetAddress numeric = NumericHost.parse(target.host());
            if (numeric == null) {
                refuse(ctx, 502, TunnelProtocol.REASON_DNS);
            } else {
                connect(ctx, null, numeric, target.port());
            }
            return;
        }
        try {
            device.blocking().execute(() -> {
                try {
                    InetAddress address = pick(allowed(InetAddress.getAllByName(target.host()), target), device.bindAddress());
                    ctx.executor().execute(() -> connect(ctx, target.host(), address, target.port()));
                } catch (UnknownHostException e) {
                    ctx.executor().execute(() -> refuse(ctx, 502, TunnelProtocol.REASON_DNS));
                }
            });
        } catch (RejectedExecutionException e) {
            refuse(ctx, 503, TunnelProtocol.REASON_FAILED);
        }
    }

    /**
     * The addresses of a resolved name the policy allows, or all of them when it allows none (the connect
     * then refuses the one picked): a name with a public and a private address connects to the public one.
     */
    private InetAddress[] allowed(InetAddress[] all, HostPort target) {
        List<InetAddress> ok = new ArrayList<>(all.length);
        for (InetAddress a : all) {
            if (device.settings().egress().allows(target.host(), new InetSocketAddress(a, target.port()))) {
                ok.add(a);
            }
        }
        return ok.isEmpty() ? all : ok.toArray(InetAddress[]::new);
    }

    /** Prefers the family of the binding, so an IPv4 source does not meet an IPv6 target. */
    private static InetAddress pick(InetAddress[] all, InetAddress bind) {
        boolean v4 = bind == null || bind instanceof Inet4Address;
        for (InetAddress a : all) {
            if ((a instanceof Inet4Address) == v4) {
                return a;
            }
        }
        return all[0];
    }

    /** Connects to {@code address}, if the egress policy allows it; {@code name} is the name it was resolved from. */
    private void connect(ChannelHandlerContext ctx, String name, InetAddress address, int port) {
        if (!ctx.channel().isActive()) {
            state = State.DONE;
            return;
        }
        if (device.rotating()) {
            refuse(ctx, 503, TunnelProtocol.REASON_ROTATING);
            return;
        }
        InetSocketAddress remote = new InetSocketAddress(address, port);
        if (!device.settings().egress().allows(name, remote)) {
            EGRESS_REFUSED.increment();
            log.debug("event=egress_refused device={} name={} address={} port={}", device.config().id(), name,
                    address.getHostAddress(), port);
            refuse(ctx, 403, TunnelProtocol.REASON_FORBIDDEN);
            return;
        }
        InetAddress bind = device.bindAddress();
        Bootstrap b = new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(EventLoops.socketChannel())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) device.settings().connectTimeout().toMillis())
                .handler(new TargetHandler(ctx.channel()));
        if (bind != null && EventLoops.nativeTransport()) {
            // bind(addr, 0) would pick the source port at bind time, from ports no other socket holds — a
            // scan of the whole range once thousands of connections sit in TIME_WAIT (milliseconds of CPU
            // per connection). With this the port is chosen at connect, per destination.
            b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        ChannelFuture f = bind == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(bind, 0));
        target = f.channel();
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                refuse(ctx, done.cause() instanceof ConnectTimeoutException ? 504 : 502, reasonOf(done.cause()));
                return;
            }
            if (!ctx.channel().isActive()) {
                target.close();
                return;
            }
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), false));
            state = State.OPEN;
            if (early != null) {
                Object m;
                while ((m = early.poll()) != null) {
                    toTarget(ctx, m);
                }
                target.flush();
            }
            target.config().setAutoRead(true);
            if (!inputEnded) {
                ctx.channel().config().setAutoRead(target.isWritable());
            }
        });
    }

    static String reasonOf(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof NoRouteToHostException) {
            return TunnelProtocol.REASON_UNREACHABLE;
        }
        String m = String.valueOf(cause.getMessage()).toLowerCase();
        if (m.contains("refused")) {
            return TunnelProtocol.REASON_REFUSED;
        }
        if (m.contains("unreachable") || m.contains("no route") || m.contains("timed out")) {
            return TunnelProtocol.REASON_UNREACHABLE;
        }
        return cause instanceof ConnectException ? TunnelProtocol.REASON_REFUSED : TunnelProtocol.REASON_FAILED;
    }

    private void toTarget(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2DataFrame data) {
            boolean end = data.isEndStream();
            ByteBuf content = data.content();
            if (content.isReadable()) {
                target.write(content);
            } else {
                content.release();
            }
            if (end) {
                endTargetOutput(ctx);
            } else if (!target.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        } else {
            if (msg instanceof Http2HeadersFrame trailers && trailers.isEndStream()) {
                endTargetOutput(ctx);
            }
            ReferenceCountUtil.release(msg);
        }
    }

    private void endTargetOutput(ChannelHandlerContext ctx) {
        inputEnded = true;
        Channel t = target;
        t.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (f.isSuccess() && t instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
        });
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.OPEN) {
            target.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (state == State.OPEN && target.isActive()) {
            target.config().setAutoRead(ctx.channel().isWritable());
        }
        super.channelWritabilityChanged(ctx);
    }

    /** The target's writability turns the stream's reading on and off. */
    void targetWritabilityChanged(Channel stream) {
        if (state == State.OPEN && !inputEnded) {
            stream.config().setAutoRead(target.isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        state = State.DONE;
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        if (target != null) {
            target.close();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void refuse(ChannelHandlerContext ctx, int status, String reason) {
        state = State.DONE;
        if (target != null) {
            target.close();
        }
        Http2Headers headers = new DefaultHttp2Headers().status(String.valueOf(status)).set(TunnelProtocol.REASON, reason);
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true));
    }

    private void answer(ChannelHandlerContext ctx, int status, String json) {
        if (!ctx.channel().isActive()) {
            return;
        }
        Http2Headers headers = new DefaultHttp2Headers().status(String.valueOf(status)).set("content-type", "application/json");
        ctx.write(new DefaultHttp2HeadersFrame(headers, false));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8), true));
    }

    /** A CONNECT authority: {@code host:port} or {@code [v6]:port}, validated before anything is resolved. */
    record HostPort(String host, int port) {
        static HostPort parse(CharSequence authority) {
            if (authority == null || authority.length() < 3 || authority.length() > 262) {
                return null;
            }
            String a = authority.toString();
            int colon = a.lastIndexOf(':');
            if (colon <= 0 || colon == a.length() - 1 || a.length() - colon - 1 > 5) {
                return null;
            }
            String host = a.substring(0, colon);
            if (host.startsWith("[")) {
                if (!host.endsWith("]") || !NetUtil.isValidIpV6Address(host.substring(1, host.length() - 1))) {
                    return null;
                }
                host = host.substring(1, host.length() - 1);
            } else if (!validName(host)) {
                return null;
            }
            int port = 0;
            for (int i = colon + 1; i < a.length(); i++) {
                char c = a.charAt(i);
                if (c < '0' || c > '9') {
                    return null;
                }
                port = port * 10 + (c - '0');
            }
            return port >= 1 && port <= 65535 ? new HostPort(host, port) : null;
        }

        private static boolean validName(String host) {
            if (host.isEmpty() || host.length() > 255) {
                return false;
            }
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
                    return false;
                }
            }
            return true;
        }
    }
}
