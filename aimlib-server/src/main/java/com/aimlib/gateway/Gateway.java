package com.aimlib.gateway;

import com.aimlib.gateway.admin.AdminApiRoutes;
import com.aimlib.gateway.api.CustomerApiRoutes;
import com.aimlib.gateway.api.DeviceListCache;
import com.aimlib.gateway.api.ProxyEndpoints;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.RateLimiter;
import com.aimlib.gateway.http.HttpServer;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.ops.OpsRoutes;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.LeasedDevices;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Tickets;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
    private final ApiKeyAuth auth;

    private Gateway(GatewayConfig config, Database db, SecretBox secrets, PrometheusMeterRegistry meters,
                    ExecutorService blocking, EventLoopGroup workers, HttpServer http, ApiKeyAuth auth) {
        this.auth = auth;
        this.config = config;
        this.db = db;
        this.secrets = secrets;
        this.meters = meters;
        this.blocking = blocking;
        this.workers = workers;
        this.http = http;
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets) throws InterruptedException {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gw-", 0).factory());
        EventLoopGroup workers = EventLoops.group(config.workerThreads(), "gw-io");
        Router router = new Router();
        Accounts accounts = new Accounts(db, secrets);
        ApiKeyAuth auth = new ApiKeyAuth(accounts, config.clock(), new RateLimiter(config.rateLimitPerHour(), config.clock()));
        OpsRoutes.register(router, db, meters);
        AtomicReference<Gateway> self = new AtomicReference<>();
        // --- api: customer /v1 (devices, tickets) and operator /admin/v1 ---
        ProxyEndpoints proxyEndpoints = new ProxyEndpoints(config.publicHost(),
                () -> self.get() == null ? config.socksPort() : self.get().socksPort(),
                () -> self.get() == null ? config.httpProxyPort() : self.get().httpProxyPort());
        DeviceListCache deviceCache = new DeviceListCache();
        Tickets tickets = new Tickets(db);
        new CustomerApiRoutes(new LeasedDevices(db, secrets), tickets, proxyEndpoints, deviceCache, config.clock())
                .register(router, auth);
        new AdminApiRoutes(accounts, tickets, db, auth, deviceCache, proxyEndpoints, config.clock(), config.region())
                .register(router);
        // --- end api ---
        HttpServer http = HttpServer.start(config.bindHost(), config.httpPort(), config.maxBodyBytes(), router, blocking, meters, workers);
        Gateway gateway = new Gateway(config, db, secrets, meters, blocking, workers, http, auth);
        self.set(gateway);
        return gateway;
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

    /** The port the SOCKS5 proxy front listens on. */
    public int socksPort() {
        return config.socksPort();
    }

    /** The port the HTTP proxy front listens on. */
    public int httpProxyPort() {
        return config.httpProxyPort();
    }

    /** The base URL customers use for REST, e.g. {@code http://127.0.0.1:7780}. */
    public String baseUrl() {
        return "http://" + config.publicHost() + ":" + httpPort();
    }

    @Override
    public void close() {
        http.close();
        blocking.shutdown();
        try {
            if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("requests still running at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        auth.close();
        meters.close();
    }
}
