package com.aimlib.gateway;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.HttpServer;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.ops.OpsRoutes;
import com.aimlib.gateway.relay.CdpRelay;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.gateway.sessions.SessionReaper;
import com.aimlib.gateway.sessions.SessionRoutes;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
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
    // browser sessions (issue 4)
    private BrowserSessions sessions;
    private SessionReaper reaper;

    private Gateway(GatewayConfig config, Database db, SecretBox secrets, PrometheusMeterRegistry meters,
                    ExecutorService blocking, EventLoopGroup workers, HttpServer http) {
        this.config = config;
        this.db = db;
        this.secrets = secrets;
        this.meters = meters;
        this.blocking = blocking;
        this.workers = workers;
        this.http = http;
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets) throws InterruptedException {
        return start(config, db, secrets, BrowserSettings.defaults());
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, BrowserSettings browser) throws InterruptedException {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gw-", 0).factory());
        EventLoopGroup workers = EventLoops.group(config.workerThreads(), "gw-io");
        Router router = new Router();
        Accounts accounts = new Accounts(db, secrets);
        ApiKeyAuth auth = new ApiKeyAuth(accounts, config.clock());
        OpsRoutes.register(router, db, meters);
        // --- browser sessions + CDP relay (issue 4) ---
        java.util.concurrent.atomic.AtomicInteger boundPort = new java.util.concurrent.atomic.AtomicInteger(config.httpPort());
        java.util.function.Supplier<String> authority = () -> config.publicHost() + ":" + boundPort.get();
        BrowserSessions sessions = new BrowserSessions(db, secrets, config.clock(), browser, config.autoBrowserSession(),
                config.maxTabs(), () -> "ws://" + authority.get(), blocking);
        SessionRoutes.register(router, auth, sessions);
        new CdpRelay(sessions, blocking, authority).register(router);
        // --- end browser sessions ---
        HttpServer http = HttpServer.start(config.bindHost(), config.httpPort(), config.maxBodyBytes(), router, blocking, meters, workers);
        boundPort.set(http.port());
        Gateway gateway = new Gateway(config, db, secrets, meters, blocking, workers, http);
        gateway.sessions = sessions;
        gateway.reaper = new SessionReaper(sessions);
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

    /** Browser sessions: the gateway end of the host link ({@code BrowserHost.start(settings, gateway.sessions())}). */
    public BrowserSessions sessions() {
        return sessions;
    }

    /** The session reaper (tests run a pass by hand with an injected clock). */
    public SessionReaper reaper() {
        return reaper;
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
        reaper.close();
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
        meters.close();
    }
}
