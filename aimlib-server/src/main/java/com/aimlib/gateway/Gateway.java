package com.aimlib.gateway;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.HttpServer;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.ops.OpsRoutes;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.gateway.tunnel.DeviceTunnels;
import com.aimlib.gateway.tunnel.TunnelRoutes;
import com.aimlib.gateway.tunnel.TunnelServer;
import com.aimlib.gateway.tunnel.TunnelSettings;
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
    // --- tunnel (issue 3) ---
    private final DeviceTunnels tunnels;
    private final TunnelServer tunnelServer;

    private Gateway(GatewayConfig config, Database db, SecretBox secrets, PrometheusMeterRegistry meters,
                    ExecutorService blocking, EventLoopGroup workers, HttpServer http,
                    DeviceTunnels tunnels, TunnelServer tunnelServer) {
        this.config = config;
        this.db = db;
        this.secrets = secrets;
        this.meters = meters;
        this.blocking = blocking;
        this.workers = workers;
        this.http = http;
        this.tunnels = tunnels;
        this.tunnelServer = tunnelServer;
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets) throws InterruptedException {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ExecutorService blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gw-", 0).factory());
        EventLoopGroup workers = EventLoops.group(config.workerThreads(), "gw-io");
        Router router = new Router();
        Accounts accounts = new Accounts(db, secrets);
        ApiKeyAuth auth = new ApiKeyAuth(accounts, config.clock());
        OpsRoutes.register(router, db, meters);
        // --- tunnel (issue 3): device agents dial in here; DeviceStreams for the proxy front ---
        AgentStore agentStore = new AgentStore(db);
        DeviceTunnels tunnels = new DeviceTunnels(agentStore, blocking);
        TunnelRoutes.register(router, auth, agentStore, tunnels, db.jdbi());
        TunnelServer tunnelServer = TunnelServer.start(config.bindHost(), config.tunnelPort(), TunnelSettings.defaults(),
                agentStore, tunnels, workers, blocking);
        // --- end tunnel ---
        HttpServer http = HttpServer.start(config.bindHost(), config.httpPort(), config.maxBodyBytes(), router, blocking, meters, workers);
        return new Gateway(config, db, secrets, meters, blocking, workers, http, tunnels, tunnelServer);
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

    /** Streams through devices' tunnels: what the proxy front opens connections with. */
    public DeviceStreams deviceStreams() {
        return tunnels;
    }

    /** The gateway side of the device tunnels (status, rotation). */
    public DeviceTunnels tunnels() {
        return tunnels;
    }

    /** The port device agents dial. */
    public int tunnelPort() {
        return tunnelServer.port();
    }

    /** The base URL customers use for REST, e.g. {@code http://127.0.0.1:7780}. */
    public String baseUrl() {
        return "http://" + config.publicHost() + ":" + httpPort();
    }

    @Override
    public void close() {
        tunnelServer.close();
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
