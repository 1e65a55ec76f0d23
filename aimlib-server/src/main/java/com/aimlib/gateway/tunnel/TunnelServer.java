package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelSettings;
import com.aimlib.net.tunnel.KeepAliveHandler;

import com.aimlib.gateway.auth.LoginThrottle;
import com.aimlib.net.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;

/** The listener agents dial: one {@link TunnelUpgradeHandler} per connection, then HTTP/2. */
public final class TunnelServer implements AutoCloseable {
    static final int MAX_INITIAL_LINE = 1024;
    static final int MAX_HEADER_SIZE = 8192;

    private final Channel listener;
    private final DeviceTunnels tunnels;

    private TunnelServer(Channel listener, DeviceTunnels tunnels) {
        this.listener = listener;
        this.tunnels = tunnels;
    }

    public static TunnelServer start(String host, int port, TunnelSettings settings, AgentStore store, DeviceTunnels tunnels,
                                     EventLoopGroup workers, ExecutorService blocking) throws InterruptedException {
        return start(host, port, settings, store, tunnels, workers, blocking, false);
    }

    /** {@code proxyProtocol}: every connection starts with a PROXY protocol header from a load balancer ({@link com.aimlib.net.ClientAddress}). */
    public static TunnelServer start(String host, int port, TunnelSettings settings, AgentStore store, DeviceTunnels tunnels,
                                     EventLoopGroup workers, ExecutorService blocking, boolean proxyProtocol) throws InterruptedException {
        // One back-off for the listener: failures from a source count across all its connections.
        LoginThrottle throttle = new LoginThrottle(LoginThrottle.Settings.defaults());
        ServerBootstrap b = new ServerBootstrap()
                .group(workers)
                .channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                // An agent that half-closes after its request still gets the answer.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TunnelSettings.tuneSocket(ch, ((InetSocketAddress) ch.remoteAddress()).getAddress());
                        if (proxyProtocol) {
                            com.aimlib.net.ClientAddress.expectHeader(ch.pipeline());
                        }
                        ch.pipeline().addLast("idle", KeepAliveHandler.idleDetector(settings));
                        ch.pipeline().addLast("http1", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192));
                        ch.pipeline().addLast("upgrade", new TunnelUpgradeHandler(store, tunnels, settings, blocking, throttle));
                    }
                });
        Channel listener = b.bind(host, port).sync().channel();
        return new TunnelServer(listener, tunnels);
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        tunnels.closeAll();
    }
}
