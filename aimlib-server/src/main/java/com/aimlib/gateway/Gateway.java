package com.aimlib.gateway;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.HttpServer;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.ops.OpsRoutes;
import com.aimlib.gateway.proxy.LeaseEndListener;
import com.aimlib.gateway.proxy.ProxyFront;
import com.aimlib.gateway.tunnel.DeviceStreamException;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway role: REST {@code /v1} and {@code /admin/v1}, operational endpoints, and the edges
 * (proxy front, tunnel endpoint, CDP relay) that later components attach. Start with {@link #start},
 * stop with {@link #close}: in-flight requests finish before the pool closes.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Database db;
    private final SecretBox secrets;
    private final PrometheusMeterRegistry meters;
    private final ExecutorService blocking;
    private final EventLoopGroup workers;
    private final HttpServer http;
    private final ProxyFront proxy;

    private Gateway(GatewayConfig config, Database db, SecretBox secrets, PrometheusMeterRegistry meters,
                    ExecutorService blocking, EventLoopGroup workers, HttpServer http, ProxyFront proxy) {
        this.config = config;
        this.db = db;
        this.secrets = secrets;
        this.meters = meters;
        this.blocking = blocking;
        this.workers = workers;
        this.http = http;
        this.proxy = proxy;
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets) throws InterruptedException {
        // proxy (issue 3): no tunnel yet, so every device is offline; the tunnel's DeviceStreams replaces this.
        DeviceStreams offline = (deviceId, host, port) -> CompletableFuture.failedFuture(
                new DeviceStreamException(DeviceStreamException.Reason.DEVICE_OFFLINE, "device offline"));
        return start(config, db, secrets, offline);
    }

    /** Starts a gateway whose proxy front opens streams through {@code deviceStreams}. */
    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, DeviceStreams deviceStreams)
            throws InterruptedException {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gw-", 0).factory());
        EventLoopGroup workers = EventLoops.group(config.workerThreads(), "gw-io");
        Router router = new Router();
        Accounts accounts = new Accounts(db, secrets);
        ApiKeyAuth auth = new ApiKeyAuth(accounts, config.clock());
        // proxy (issue 3): SOCKS5 + HTTP proxy listeners, started before any route needs their ports.
        ProxyFront proxy = ProxyFront.start(config.bindHost(), config.socksPort(), config.httpProxyPort(), db, secrets,
                config.clock(), deviceStreams, workers, blocking, ProxyFront.Settings.defaults());
        OpsRoutes.register(router, db, meters);
        HttpServer http = HttpServer.start(config.bindHost(), config.httpPort(), config.maxBodyBytes(), router, blocking, meters, workers);
        return new Gateway(config, db, secrets, meters, blocking, workers, http, proxy);
    }

    public GatewayConfig config() {
        return config;
    }

    public Database db() {
        return db;
    }

    public SecretBox secrets() {
        return secrets;
    }

    public int httpPort() {
        return http.port();
    }

    /** The port the SOCKS5 proxy front listens on (the bound one, also when configured as 0). */
    public int socksPort() {
        return proxy.socksPort();
    }

    /** The port the HTTP proxy front listens on (the bound one, also when configured as 0). */
    public int httpProxyPort() {
        return proxy.httpPort();
    }

    /** Call after ending a lease ({@code Accounts.endLease}): its proxy credentials stop working and its connections close. */
    public LeaseEndListener leaseEnds() {
        return proxy;
    }

    /** The proxy front (tests, and flushing usage on demand). */
    public ProxyFront proxyFront() {
        return proxy;
    }

    /** The base URL customers use for REST, e.g. {@code http://127.0.0.1:7780}. */
    public String baseUrl() {
        return "http://" + config.publicHost() + ":" + httpPort();
    }

    @Override
    public void close() {
        http.close();
        // proxy (issue 3): close proxied connections and write the last usage before the pool goes.
        proxy.close();
        blocking.shutdown();
        try {
            if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("requests still running at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        meters.close();
    }
}
