package com.aimlib.host;

import com.aimlib.net.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's host-local, credential-free HTTP proxy for its Chromium (CONNECT tunnels and
 * absolute-URI requests), chained to the gateway proxy front with the lease's credentials so names
 * resolve on the device. Counts every byte Chromium sends or receives through it; past the session's
 * data cap it closes its connections and refuses new ones.
 *
 * <p>Who can connect: it listens on 127.0.0.1 only, and nothing that carries a customer's traffic reaches the
 * host's loopback — the browsers launch with {@code --proxy-bypass-list=<-loopback>}, so a page's request to
 * 127.0.0.1 goes to its own bridge and on to the device (tested in {@code BrowserPathGuardTest}); the device's
 * egress policy refuses loopback and private targets; the relay refuses the CDP calls that would make a browser
 * dial elsewhere itself ({@code CdpGuard}: proxied contexts, remote locations). A check that each connection comes
 * from this session's own Chromium (the peer's socket inode in /proc/net/tcp, then the browser tree's fds) was
 * measured and not adopted: one read of /proc/net/tcp took 38 ms on the 2-core test machine with 38 sockets open,
 * and it grows with every socket on the host, so it would delay each of the browser's proxy connections.
 */
final class SessionBridge implements AutoCloseable {
    private static final byte[] ESTABLISHED = "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final EventLoopGroup group;
    private final String upstreamType;
    private final InetSocketAddress upstream;
    private volatile String user;
    private volatile String pass;
    private volatile long capBytes;
    private volatile boolean bound;
    private final AtomicLong bytes = new AtomicLong();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile Channel server;

    SessionBridge(EventLoopGroup group, String upstreamType, InetSocketAddress upstream, String user, String pass, long capBytes) {
        this.group = group;
        this.upstreamType = upstreamType;
        this.upstream = upstream;
        this.user = user;
        this.pass = pass;
        this.capBytes = capBytes;
        this.bound = true;
    }

    /** A bridge for a pre-launched browser: it refuses every connection until {@link #bind} gives it a session. */
    SessionBridge(EventLoopGroup group, String upstreamType, InetSocketAddress upstream) {
        this(group, upstreamType, upstream, null, null, 0);
        this.bound = false;
    }

    /** Binds this bridge to a session: its lease's proxy credentials and its data cap. Once. */
    void bind(String user, String pass, long capBytes) {
        this.user = user;
        this.pass = pass;
        this.capBytes = capBytes;
        this.bound = true;
    }

    int start() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!bound || capReached()) {
                            ch.close();
                            return;
                        }
                        channels.add(ch);
                        ch.pipeline().addLast("count", new Counter()).addLast("codec", new HttpServerCodec()).addLast("front", new Front());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    int port() {
        Channel s = server;
        return s == null ? -1 : ((InetSocketAddress) s.localAddress()).getPort();
    }

    long bytes() {
        return bytes.get();
    }

    boolean capReached() {
        return bytes.get() >= capBytes;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        channels.close();
    }

    private ProxyHandler proxyHandler() {
        return "http".equals(upstreamType) ? new HttpProxyHandler(upstream, user, pass) : new Socks5ProxyHandler(upstream, user, pass);
    }

    /** Opens a connection to {@code host:port} through the gateway proxy; {@code ready} runs once the proxy handshake is done. */
    private void connect(Channel client, String host, int port, java.util.function.Consumer<Channel> init, java.util.function.Consumer<Channel> ready) {
        ProxyHandler proxy = proxyHandler();
        Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(EventLoops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("proxy", proxy);
                        init.accept(ch);
                    }
                });
        b.connect(InetSocketAddress.createUnresolved(host, port)).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                fail(client);
                return;
            }
            channels.add(f.channel());
            proxy.connectFuture().addListener(pf -> {
                if (pf.isSuccess()) {
                    ready.accept(f.channel());
                } else {
                    f.channel().close();
                    fail(client);
                }
            });
        });
    }

    private static void fail(Channel client) {
        if (client.pipeline().get("codec") != null) {
            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER);
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.close();
        }
    }

    /** Counts raw bytes both ways on Chromium's side; enforces the cap. */
    private final class Counter extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && bytes.addAndGet(buf.readableBytes()) > capBytes) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf && bytes.addAndGet(buf.readableBytes()) > capBytes) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(new IllegalStateException("session data cap reached"));
                ctx.close();
                return;
            }
            ctx.write(msg, promise);
        }
    }

    /** Reads Chromium's proxy requests: CONNECT becomes a byte splice, absolute-URI requests are forwarded. */
    private final class Front extends ChannelInboundHandlerAdapter {
        private Channel up;
        private String upKey;
        private boolean connecting;
        private boolean tunnelling;
        private final List<Object> pending = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (tunnelling) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest req) {
                if (req.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    fail(ctx.channel());
                    return;
                }
                if (HttpMethod.CONNECT.equals(req.method())) {
                    ReferenceCountUtil.release(msg);
                    tunnel(ctx, req.uri());
                    return;
                }
                forward(ctx, req);
                return;
            }
            if (msg instanceof HttpContent) {
                if (connecting) {
                    pending.add(msg);
                } else if (up != null && up.isActive()) {
                    up.write(msg);
                } else {
                    ReferenceCountUtil.release(msg);
                }
                return;
            }
            ReferenceCountUtil.release(msg);
        }

        private void tunnel(ChannelHandlerContext ctx, String authority) {
            int colon = authority.lastIndexOf(':');
            if (colon <= 0) {
                fail(ctx.channel());
                return;
            }
            String host = authority.substring(0, colon).replace("[", "").replace("]", "");
            int port;
            try {
                port = Integer.parseInt(authority.substring(colon + 1));
            } catch (NumberFormatException e) {
                fail(ctx.channel());
                return;
            }
            tunnelling = true;
            Channel client = ctx.channel();
            client.config().setAutoRead(false);
            connect(client, host, port, ch -> { }, upstream -> {
                if (!client.isActive()) {
                    upstream.close();
                    return;
                }
                client.pipeline().remove("codec");
                client.pipeline().replace("front", "splice", new Splice(upstream));
                upstream.pipeline().addLast("splice", new Splice(client));
                client.writeAndFlush(Unpooled.wrappedBuffer(ESTABLISHED));
                client.config().setAutoRead(true);
                upstream.config().setAutoRead(true);
            });
        }

        private void forward(ChannelHandlerContext ctx, HttpRequest req) {
            URI uri;
            try {
                uri = new URI(req.uri());
            } catch (Exception e) {
                ReferenceCountUtil.release(req);
                fail(ctx.channel());
                return;
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                ReferenceCountUtil.release(req);
                fail(ctx.channel());
                return;
            }
            String host = uri.getHost();
            int port = uri.getPort() > 0 ? uri.getPort() : 80;
            String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            req.setUri(path);
            req.headers().remove("Proxy-Connection").remove(HttpHeaderNames.PROXY_AUTHORIZATION);
            String key = host + ":" + port;
            if (up != null && up.isActive() && key.equals(upKey) && !connecting) {
                up.write(req);
                return;
            }
            if (up != null) {
                up.close();
            }
            pending.add(req);
            connecting = true;
            upKey = key;
            Channel client = ctx.channel();
            client.config().setAutoRead(false);
            connect(client, host, port, ch -> ch.pipeline().addLast("codec", new HttpClientCodec()).addLast("back", new Back(client)),
                    upstream -> {
                        up = upstream;
                        connecting = false;
                        for (Object o : pending) {
                            upstream.write(o);
                        }
                        pending.clear();
                        upstream.flush();
                        client.config().setAutoRead(true);
                    });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (up != null && !connecting) {
                up.flush();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pending.forEach(ReferenceCountUtil::release);
            pending.clear();
            if (up != null) {
                up.close();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (up != null) {
                up.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Responses from the origin back to Chromium, as HTTP objects. */
    private static final class Back extends ChannelInboundHandlerAdapter {
        private final Channel client;
        private boolean inResponse;

        Back(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.handler.codec.http.HttpResponse) {
                inResponse = true;
            }
            if (msg instanceof LastHttpContent) {
                inResponse = false;
            }
            if (msg instanceof HttpObject) {
                client.write(msg);
                if (!client.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            client.config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inResponse) {
                client.flush();
                client.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Bytes one way, with backpressure: stop reading here while the other side cannot take more. */
    static final class Splice extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Splice(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg);
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            peer.config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
