package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's proxy front: a SOCKS5 and an HTTP proxy listener whose connections become streams
 * (the SOCKS5 port, by default, serves HTTP proxy clients as well: the unified port of {@code http_url} and
 * {@code socks5h_url})
 * through the leased device, plus the background work they need (lease-end safety poll every second,
 * usage flush every {@link Settings#flushMillis}). Start with {@link #start}, stop with {@link #close}
 * (closes every proxied connection and writes the last usage).
 */
public final class ProxyFront implements LeaseEndListener, AccessChangeListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyFront.class);

    /**
     * Tunables with their defaults; tests shorten them. {@code unifiedSocksPort}: the SOCKS5 port also serves
     * HTTP proxy clients, told apart by their first byte ({@link ProxyProtocolDetector}); off, it is SOCKS5 only.
     */
    public record Settings(long handshakeTimeoutMillis, long openTimeoutMillis, long pollMillis, long flushMillis,
                           boolean unifiedSocksPort, boolean proxyProtocol) {
        public Settings(long handshakeTimeoutMillis, long openTimeoutMillis, long pollMillis, long flushMillis) {
            this(handshakeTimeoutMillis, openTimeoutMillis, pollMillis, flushMillis, true, false);
        }

        public Settings(long handshakeTimeoutMillis, long openTimeoutMillis, long pollMillis, long flushMillis, boolean unifiedSocksPort) {
            this(handshakeTimeoutMillis, openTimeoutMillis, pollMillis, flushMillis, unifiedSocksPort, false);
        }

        public static Settings defaults() {
            return new Settings(10_000, 30_000, 250, 2_000, true, false);
        }

        public Settings withUnifiedSocksPort(boolean on) {
            return new Settings(handshakeTimeoutMillis, openTimeoutMillis, pollMillis, flushMillis, on, proxyProtocol);
        }

        /** Both listeners expect a PROXY protocol header first ({@link com.aimlib.net.ClientAddress}). */
        public Settings withProxyProtocol(boolean on) {
            return new Settings(handshakeTimeoutMillis, openTimeoutMillis, pollMillis, flushMillis, unifiedSocksPort, on);
        }
    }

    private final ProxyAccess access;
    private final EventLoopGroup boss;
    /** The SOCKS5 and HTTP listening sockets: one per worker loop on native transport (see {@link #listen}). */
    private final List<Channel> socks;
    private final List<Channel> http;
    private final ChannelGroup clients;
    private final Thread background;
    /** Stops the upkeep between two rounds, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer upkeepPacer = new com.aimlib.Pacer();

    private ProxyFront(ProxyAccess access, EventLoopGroup boss, List<Channel> socks, List<Channel> http, ChannelGroup clients,
                       long pollMillis, long flushMillis) {
        this.access = access;
        this.boss = boss;
        this.socks = socks;
        this.http = http;
        this.clients = clients;
        this.background = Thread.ofVirtual().name("proxy-upkeep").start(() -> upkeep(pollMillis, flushMillis));
    }

    /**
     * Binds both listeners on {@code bindHost} (port 0: any free port) and starts the upkeep thread; refusals
     * are counted in {@code meters}.
     */
    public static ProxyFront start(String bindHost, int socksPort, int httpPort, Database db, SecretBox secrets, Clock clock,
                                   DeviceStreams streams, EventLoopGroup workers, ExecutorService blocking, Settings settings,
                                   MeterRegistry meters) throws InterruptedException {
        ProxyAccess access = new ProxyAccess(new ProxyStore(db, secrets), clock, blocking);
        ProxyConnector connector = new ProxyConnector(access, streams, settings.openTimeoutMillis(), meters);
        ChannelGroup clients = new DefaultChannelGroup("proxy-clients", GlobalEventExecutor.INSTANCE);
        EventLoopGroup boss = EventLoops.group(1, "proxy-accept");
        try {
            ProxyProtocolDetector.Meters detectMeters = ProxyProtocolDetector.Meters.register(meters);
            Consumer<SocketChannel> socksInstall = settings.unifiedSocksPort()
                    ? ch -> ProxyProtocolDetector.install(ch.pipeline(), connector, settings.handshakeTimeoutMillis(), detectMeters)
                    : ch -> Socks5FrontHandler.install(ch.pipeline(), connector, settings.handshakeTimeoutMillis());
            Consumer<SocketChannel> httpInstall = ch -> HttpProxyFrontHandler.install(ch.pipeline(), connector, settings.handshakeTimeoutMillis());
            if (settings.proxyProtocol()) {
                socksInstall = com.aimlib.net.ClientAddress.behindBalancer(socksInstall);
                httpInstall = com.aimlib.net.ClientAddress.behindBalancer(httpInstall);
            }
            List<Channel> socks = listen(bindHost, socksPort, boss, workers, clients, socksInstall);
            List<Channel> http = listen(bindHost, httpPort, boss, workers, clients, httpInstall);
            log.info("proxy front listening socks={} http={} listeners={} unified_socks_port={} proxy_protocol={}", socks.getFirst().localAddress(),
                    http.getFirst().localAddress(), socks.size(), settings.unifiedSocksPort(), settings.proxyProtocol());
            return new ProxyFront(access, boss, socks, http, clients, settings.pollMillis(), settings.flushMillis());
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Binds {@code host:port}. On native transport every worker loop gets its own listening socket
     * (SO_REUSEPORT, the kernel spreads connections over them) and keeps the connections it accepts:
     * no hand-over from an acceptor thread to a worker on the connection set-up path. Otherwise one
     * listener on {@code boss} hands connections to {@code workers}.
     */
    private static List<Channel> listen(String host, int port, EventLoopGroup boss, EventLoopGroup workers, ChannelGroup clients,
                                        Consumer<SocketChannel> install) throws InterruptedException {
        List<Channel> bound = new ArrayList<>();
        try {
            if (!EventLoops.nativeTransport()) {
                bound.add(bootstrap(boss, workers, clients, install).bind(host, port).sync().channel());
                return bound;
            }
            for (EventExecutor e : workers) {
                EventLoop loop = (EventLoop) e;
                int p = bound.isEmpty() ? port : ((InetSocketAddress) bound.getFirst().localAddress()).getPort();
                bound.add(bootstrap(loop, loop, clients, install).option(EpollChannelOption.SO_REUSEPORT, true)
                        .bind(host, p).sync().channel());
            }
            return bound;
        } catch (InterruptedException | RuntimeException ex) {
            bound.forEach(Channel::close);
            throw ex;
        }
    }

    private static ServerBootstrap bootstrap(EventLoopGroup boss, EventLoopGroup workers, ChannelGroup clients,
                                             Consumer<SocketChannel> install) {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                // A client's FIN must end only its direction: the other one keeps flowing.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        clients.add(ch);
                        install.accept(ch);
                    }
                });
    }

    public int socksPort() {
        return ((InetSocketAddress) socks.getFirst().localAddress()).getPort();
    }

    public int httpPort() {
        return ((InetSocketAddress) http.getFirst().localAddress()).getPort();
    }

    /** Refuses the lease's credentials from now on and closes its open connections. */
    @Override
    public void leaseEnded(UUID leaseId) {
        access.leaseEnded(leaseId);
    }

    /** Suspension: the customer's credentials are refused and its open connections closed, now. */
    @Override
    public void customerStatusChanged(UUID customerId) {
        access.customerStatusChanged(customerId);
    }

    /** The device's budget takes the new cap now (a cleared cap lets traffic flow again). */
    @Override
    public void deviceCapChanged(UUID deviceId) {
        access.deviceCapChanged(deviceId);
    }

    /** Writes counted bytes to the database now (normally done every few seconds). Blocking. */
    public void flushUsage() {
        access.flushUsage();
    }

    /** Client connections open on both listeners (tests: nothing is left behind). */
    int openClients() {
        return clients.size();
    }

    int openConnections(UUID leaseId) {
        return access.openConnections(leaseId);
    }

    DeviceBudget budget(UUID deviceId) {
        return access.knownBudget(deviceId);
    }

    private void upkeep(long pollMillis, long flushMillis) {
        long lastFlush = System.nanoTime();
        while (upkeepPacer.pause(java.time.Duration.ofMillis(pollMillis))) {
            try {
                access.pollLeases();
            } catch (RuntimeException e) {
                log.warn("proxy lease poll failed error={}", e.toString());
            }
            if (System.nanoTime() - lastFlush >= TimeUnit.MILLISECONDS.toNanos(flushMillis)) {
                lastFlush = System.nanoTime();
                try {
                    access.flushUsage();
                } catch (RuntimeException e) {
                    log.warn("proxy usage flush failed error={}", e.toString());
                }
            }
        }
    }

    /** Stops listening, closes every proxied connection, and flushes the usage counted so far. */
    @Override
    public void close() {
        upkeepPacer.stop(background, java.time.Duration.ofSeconds(5));
        socks.forEach(c -> c.close().syncUninterruptibly());
        http.forEach(c -> c.close().syncUninterruptibly());
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            access.flushUsage();
        } catch (RuntimeException e) {
            log.warn("proxy usage flush at shutdown failed error={}", e.toString());
        }
    }
}
