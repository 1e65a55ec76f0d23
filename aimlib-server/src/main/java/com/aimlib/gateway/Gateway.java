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
import com.aimlib.gateway.proxy.AccessChangeListener;
import com.aimlib.gateway.proxy.LeaseEndListener;
import com.aimlib.gateway.health.DeviceHealthMonitor;
import com.aimlib.gateway.proxy.ProxyFront;
import com.aimlib.gateway.live.LiveLinks;
import com.aimlib.gateway.live.LiveRoutes;
import com.aimlib.gateway.recordings.RecordingRoutes;
import com.aimlib.gateway.recordings.RecordingSettings;
import com.aimlib.gateway.recordings.Recordings;
import com.aimlib.gateway.relay.CdpRelay;
import com.aimlib.gateway.rotation.RotationRoutes;
import com.aimlib.gateway.rotation.RotationService;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.gateway.sessions.SessionAdminRoutes;
import com.aimlib.gateway.sessions.SessionReaper;
import com.aimlib.gateway.sessions.SessionListing;
import com.aimlib.gateway.sessions.SessionRoutes;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.gateway.tunnel.DeviceTunnels;
import com.aimlib.gateway.tunnel.TunnelRoutes;
import com.aimlib.gateway.tunnel.TunnelServer;
import com.aimlib.net.tunnel.TunnelSettings;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.DeviceHealthStore;
import com.aimlib.store.LeasedDevices;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Tickets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway role: REST {@code /v1} and {@code /admin/v1}, operational endpoints, the tunnel endpoint
 * devices dial, the proxy front and the CDP relay. Start with {@link #start}, stop with {@link #close}:
 * listeners stop first, in-flight requests finish, then the shared event loops and executors stop.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Database db;
    private final SecretBox secrets;
    private final PrometheusMeterRegistry meters;
    private final ExecutorService blocking;
    private final EventLoopGroup workers;
    private final Accounts accounts;
    private final ApiKeyAuth auth;
    private final Router router = new Router();
    private HttpServer http;
    private HttpServer metricsHttp;
    // device tunnels
    private DeviceTunnels tunnels;
    private TunnelServer tunnelServer;
    private DeviceHealthMonitor health;
    private RotationService rotations;
    // proxy front
    private final DeviceStreams streamsOverride;
    private ProxyFront proxy;
    private CdpRelay cdpRelay;
    // browser sessions
    private final BrowserSettings browserSettings;
    private BrowserSessions sessions;
    private SessionReaper reaper;
    // issue 14: live view, inspector and recordings
    private final RecordingSettings recordingSettings;
    private Recordings recordings;
    private LiveRoutes live;
    private com.aimlib.gateway.relay.AccessPoll relayAccessPoll;

    private com.aimlib.gateway.ops.BrowserSlots browserSlots;
    // issue 12: replicas on one database that agree (presence, elected reaper; rate limits shared in auth)
    private com.aimlib.gateway.replicas.Replicas replicas;
    private com.aimlib.gateway.replicas.ReaperElection reaperElection;
    private io.netty.channel.Channel peerListener;
    private com.aimlib.gateway.replicas.RoutedStreams routedStreams;

    private Gateway(GatewayConfig config, Database db, SecretBox secrets, DeviceStreams streamsOverride,
                    BrowserSettings browserSettings, RecordingSettings recordingSettings) {
        this.config = config;
        this.recordingSettings = recordingSettings;
        this.browserSettings = browserSettings;
        this.streamsOverride = streamsOverride;
        this.db = db;
        this.secrets = secrets;
        this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gw-", 0).factory());
        this.workers = EventLoops.group(config.workerThreads(), "gw-io");
        this.accounts = new Accounts(db, secrets);
        this.auth = new ApiKeyAuth(accounts, config.clock(), new RateLimiter(config.rateLimitPerHour(), config.clock(),
                config.sharedRateLimits() ? db.dataSource() : null));
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets) throws InterruptedException {
        return start(config, db, secrets, null, BrowserSettings.defaults());
    }

    /** A gateway whose proxy front opens streams through {@code deviceStreams} instead of the tunnels (tests). */
    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, DeviceStreams deviceStreams)
            throws InterruptedException {
        return start(config, db, secrets, deviceStreams, BrowserSettings.defaults());
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, BrowserSettings browser)
            throws InterruptedException {
        return start(config, db, secrets, null, browser);
    }

    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, DeviceStreams deviceStreams,
                                BrowserSettings browser) throws InterruptedException {
        return start(config, db, secrets, deviceStreams, browser, RecordingSettings.defaults());
    }

    /** As above, with where recordings are kept, their default quota and retention (issue 14). */
    public static Gateway start(GatewayConfig config, Database db, SecretBox secrets, DeviceStreams deviceStreams,
                                BrowserSettings browser, RecordingSettings recordings) throws InterruptedException {
        Gateway g = new Gateway(config, db, secrets, deviceStreams, browser, recordings);
        try {
            g.startComponents();
        } catch (InterruptedException | RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    private void startComponents() throws InterruptedException {
        OpsRoutes.register(router, db, meters, auth);

        // Device agents dial in here; the tunnels are the DeviceStreams of the proxy front.
        AgentStore agentStore = new AgentStore(db);
        tunnels = new DeviceTunnels(agentStore, blocking, config.rotation().observePeriod());
        // Replicas: device status derived from every replica's tunnel connections (issue 12).
        replicas = com.aimlib.gateway.replicas.Replicas.start(db.jdbi(), config.replicas());
        tunnels.presence(new com.aimlib.gateway.replicas.TunnelPresence(replicas));
        replicas.onRejoin(tunnels::resyncAll);
        // IP rotations: stored operations any replica answers, run by the replica holding the device's tunnel.
        rotations = new RotationService(db.jdbi(), tunnels, config.clock(), config.rotation(), blocking, meters).start();
        TunnelRoutes.register(router, auth, agentStore, rotations, db.jdbi());
        new RotationRoutes(rotations, db.jdbi()).register(router, auth);
        tunnelServer = bind(() -> TunnelServer.start(config.bindHost(), config.tunnelPort(), TunnelSettings.defaults(),
                agentStore, tunnels, workers, blocking, config.proxyProtocol()), "--tunnel-port", config.tunnelPort());

        // The peer link: other replicas open streams of the devices whose tunnels this one holds (issue 12).
        com.aimlib.gateway.replicas.PeerLink peerLink = new com.aimlib.gateway.replicas.PeerLink(
                secrets.derive("aimlib peer link v1"), java.time.Clock.systemUTC());
        int peerPort = config.replicas().peerPort();
        peerListener = bind(() -> peerLink.listen(config.bindHost(), peerPort, tunnels, workers), "--peer-port", peerPort);
        String advertise = config.replicas().peerAdvertise() != null ? config.replicas().peerAdvertise() : config.publicHost();
        replicas.advertise((advertise.contains(":") ? "[" + advertise + "]" : advertise) + ":"
                + ((java.net.InetSocketAddress) peerListener.localAddress()).getPort());
        routedStreams = new com.aimlib.gateway.replicas.RoutedStreams(tunnels, replicas, peerLink, blocking, workers);

        // Device health: tunnel RTT, the agents' health commands and egress probes, unhealthy marking.
        health = new DeviceHealthMonitor(tunnels, new DeviceHealthStore(db), config.clock(), config.deviceHealth(), blocking, meters);

        // SOCKS5 and HTTP proxy listeners over the device streams, bound before the routes need their ports.
        // The HTTP proxy port binds second: when it is the busy one, the SOCKS5 listener is already ours.
        proxy = bind(() -> ProxyFront.start(config.bindHost(), config.socksPort(), config.httpProxyPort(), db, secrets, config.clock(),
                        streamsOverride != null ? streamsOverride : routedStreams, workers, blocking,
                        ProxyFront.Settings.defaults().withProxyProtocol(config.proxyProtocol()), meters),
                "--http-proxy-port", config.httpProxyPort(), "--socks-port", config.socksPort());

        // Customer /v1 (devices, tickets) and operator /admin/v1.
        ProxyEndpoints proxyEndpoints = new ProxyEndpoints(config.publicHost(), this::socksPort, this::httpProxyPort);
        DeviceListCache deviceCache = new DeviceListCache();
        Tickets tickets = new Tickets(db);
        new CustomerApiRoutes(new LeasedDevices(db, secrets), tickets, proxyEndpoints, deviceCache, config.clock())
                .register(router, auth);
        new AdminApiRoutes(accounts, tickets, db, auth, deviceCache, proxyEndpoints, config.clock(), config.region(),
                this::leaseEnded, this::leaseCreated, accessChanges()).register(router);

        // Browser sessions and the CDP relay.
        Supplier<String> authority = () -> config.publicHost() + ":" + httpPort();
        String publicWs = config.publicWsBase();
        sessions = new BrowserSessions(db, secrets, config.clock(), browserSettings, config.autoBrowserSession(),
                config.maxTabs(), () -> publicWs != null ? publicWs : "ws://" + authority.get(), blocking);
        // Browser hosts on other machines (issue 12): their credentials, reports and the links to their APIs.
        sessions.remoteHosts(new com.aimlib.gateway.hosts.RemoteHosts(db, secrets, sessions, sessions::relaySecret, blocking));
        new com.aimlib.gateway.hosts.HostRoutes(new com.aimlib.gateway.hosts.HostCredentials(db), sessions, secrets, auth,
                java.time.Duration.ofMillis(com.aimlib.protocol.host.HostApi.HEARTBEAT_INTERVAL_MILLIS)).register(router);
        com.aimlib.gateway.sessions.SessionContexts contexts = new com.aimlib.gateway.sessions.SessionContexts(sessions, secrets, config.contextMaxBytes());
        com.aimlib.gateway.extensions.Extensions extensions = new com.aimlib.gateway.extensions.Extensions(db, config.clock());
        SessionRoutes.register(router, auth, sessions, contexts, extensions);
        SessionListing.of(sessions, SessionListing.DEFAULT_RETENTION).register(router, auth);
        com.aimlib.gateway.sessions.ContextRoutes.register(router, auth, contexts);
        com.aimlib.gateway.extensions.ExtensionRoutes.register(router, auth, extensions);
        sessions.meters(meters);
        SessionAdminRoutes.register(router, auth, sessions);
        cdpRelay = new CdpRelay(sessions, blocking, authority, publicWs);
        cdpRelay.meters(meters);
        cdpRelay.register(router);
        // Relay clients summed over replicas; the periodic reaper moves run on one elected replica (issue 12).
        sessions.relayPresence(new com.aimlib.gateway.replicas.RelayPresence(replicas));
        replicas.onRejoin(sessions::resyncRelayPresence);
        reaperElection = new com.aimlib.gateway.replicas.ReaperElection(db.dataSource());
        reaper = new SessionReaper(sessions, reaperElection::lead);
        // Live view, inspector links and recordings of a session (issue 14).
        recordings = new Recordings(db, config.clock(), recordingSettings);
        sessions.recordings(recordings);
        RecordingRoutes.register(router, auth, recordings, blocking);
        live = new LiveRoutes(sessions, cdpRelay, new LiveLinks(secrets.derive("aimlib live links v1"), config.clock()), blocking,
                config.clock(), authority, config.publicUrl());
        live.register(router, auth);
        // Relay and live-view connections end within a second of a lease end or suspension made through another replica.
        relayAccessPoll = com.aimlib.gateway.relay.AccessPoll.start(db.jdbi(), config.clock(), cdpRelay::openLeases, lease -> {
            int closed = cdpRelay.closeLease(lease);
            if (closed > 0) {
                log.info("lease no longer usable; relay connections closed lease={} closed={}", lease, closed);
            }
        });

        // aimlib_browser_slots{region,state="free|pending"}: what an autoscaler of browser hosts acts on.
        browserSlots = com.aimlib.gateway.ops.BrowserSlots.start(db, meters, config.clock(), browserSettings.heartbeatTimeout(),
                java.time.Duration.ofSeconds(5));

        java.util.Map<String, Integer> uploads = java.util.Map.of("POST " + com.aimlib.gateway.extensions.ExtensionRoutes.UPLOAD_PATH,
                Math.max(config.maxBodyBytes(), config.extensionMaxBytes()));
        http = bind(() -> HttpServer.start("api", config.bindHost(), config.httpPort(), config.maxBodyBytes(), uploads, config.httpLimits(), router,
                blocking, meters, workers), "--port", config.httpPort());
        if (config.metricsPort() != null) {
            Router scrape = new Router();
            OpsRoutes.registerScrape(scrape, meters);
            metricsHttp = bind(() -> HttpServer.start("metrics", config.metricsHost(), config.metricsPort(), 0, config.httpLimits(), scrape,
                    blocking, meters, workers), "--metrics-port", config.metricsPort());
        }
    }

    private interface Listener<T> {
        T start() throws InterruptedException;
    }

    /**
     * Starts a listener; when its address is taken, fails with one line naming the port and its flag.
     * {@code flagsAndPorts} are (flag, port) pairs, probed in order when one start binds several ports.
     */
    private <T> T bind(Listener<T> listener, Object... flagsAndPorts) throws InterruptedException {
        try {
            return listener.start();
        } catch (Exception e) { // Netty's sync() rethrows a bind failure's checked exception undeclared
            if (e instanceof InterruptedException || !com.aimlib.StartupFailure.isAddressInUse(e)) {
                throw e;
            }
            String flag = (String) flagsAndPorts[0];
            int port = (Integer) flagsAndPorts[1];
            for (int i = 0; i < flagsAndPorts.length; i += 2) {
                int p = (Integer) flagsAndPorts[i + 1];
                if (p > 0 && !free(config.bindHost(), p)) {
                    flag = (String) flagsAndPorts[i];
                    port = p;
                    break;
                }
            }
            throw new com.aimlib.StartupFailure("port " + port + " on " + config.bindHost() + " is in use (" + flag
                    + "): stop what listens there (ss -ltnp 'sport = :" + port + "') or pass another " + flag);
        }
    }

    private static boolean free(String host, int port) {
        try (var s = new java.net.ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(host, port));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    // Lease hooks of the admin API, for the proxy front and browser sessions.
    // Called on request threads after the HTTP server started, so every component exists by then.

    private void leaseCreated(UUID leaseId) {
        try {
            sessions.ensurePrebound(leaseId);
        } catch (RuntimeException e) {
            log.warn("pre-binding the new lease's browser session failed (the reaper's sweep retries) lease={} cause={}", leaseId, e.toString());
        }
    }

    private void leaseEnded(UUID leaseId) {
        proxy.leaseEnded(leaseId);
        cdpRelay.closeLease(leaseId);
        try {
            sessions.leaseEnded(leaseId);
        } catch (RuntimeException e) {
            log.warn("expiring the ended lease's browser sessions failed (the reaper retries) lease={} cause={}", leaseId, e.toString());
        }
    }

    /** Suspension and cap changes from the admin API: the proxy front and the CDP relay apply them at once. */
    private AccessChangeListener accessChanges() {
        return new AccessChangeListener() {
            @Override
            public void customerStatusChanged(UUID customerId) {
                proxy.customerStatusChanged(customerId);
                if (accounts.customer(customerId).map(c -> !"active".equals(c.status())).orElse(false)) {
                    int closed = cdpRelay.closeCustomer(customerId);
                    log.info("customer suspended; relay connections closed customer={} closed={}", customerId, closed);
                }
            }

            @Override
            public void deviceCapChanged(UUID deviceId) {
                proxy.deviceCapChanged(deviceId);
            }
        };
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

    public Accounts accounts() {
        return accounts;
    }

    /** Browser sessions: the gateway end of the host link ({@code BrowserHost.start(settings, gateway.sessions())}). */
    public BrowserSessions sessions() {
        return sessions;
    }

    /** Session recordings (issue 14; tests sweep them by hand with an injected clock). */
    public Recordings recordings() {
        return recordings;
    }

    /** The CDP relay (the identity bench switches its per-client identity off). */
    public CdpRelay cdpRelay() {
        return cdpRelay;
    }

    /** The session reaper (tests run a pass by hand with an injected clock). */
    public SessionReaper reaper() {
        return reaper;
    }

    public int httpPort() {
        return http.port();
    }

    /** The port of the scraper's /metrics listener (the bound one), or -1 when it is off. */
    public int metricsPort() {
        return metricsHttp == null ? -1 : metricsHttp.port();
    }

    /** The port the SOCKS5 proxy front listens on (the bound one, also when configured as 0). */
    public int socksPort() {
        return proxy.socksPort();
    }

    /** The port the HTTP proxy front listens on (the bound one, also when configured as 0). */
    public int httpProxyPort() {
        return proxy.httpPort();
    }

    /**
     * Call after ending a lease ({@code Accounts.endLease}): its proxy credentials stop working, its connections
     * close, and its browser sessions expire (what the admin API's end-lease endpoint does).
     */
    public LeaseEndListener leaseEnds() {
        return this::leaseEnded;
    }

    /** The browser slot gauge ({@code aimlib_browser_slots}); {@code refresh()} brings it up to date at once. */
    public com.aimlib.gateway.ops.BrowserSlots browserSlots() {
        return browserSlots;
    }

    /** This process as a gateway replica (issue 12; tests beat and sweep by hand). */
    public com.aimlib.gateway.replicas.Replicas replicas() {
        return replicas;
    }

    /** Streams of the proxy front: this replica's tunnels, or another replica's through the peer link (issue 12). */
    public com.aimlib.gateway.replicas.RoutedStreams routedStreams() {
        return routedStreams;
    }

    /** The port of the peer link other replicas dial (issue 12). */
    public int peerPort() {
        return ((java.net.InetSocketAddress) peerListener.localAddress()).getPort();
    }

    /** The reaper election (issue 12): whether this replica runs the periodic reaper moves. */
    public com.aimlib.gateway.replicas.ReaperElection reaperElection() {
        return reaperElection;
    }

    /** The registry {@code /metrics} serves. */
    public MeterRegistry meters() {
        return meters;
    }

    /** The proxy front (tests, and flushing usage on demand). */
    public ProxyFront proxyFront() {
        return proxy;
    }

    /** Streams through devices' tunnels: what the proxy front opens connections with. */
    public DeviceStreams deviceStreams() {
        return tunnels;
    }

    /** The gateway side of the device tunnels (status, rotation). */
    public DeviceTunnels tunnels() {
        return tunnels;
    }

    /** IP rotations (tests run the background loop's pass by hand with an injected clock). */
    public RotationService rotations() {
        return rotations;
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
        if (relayAccessPoll != null) {
            relayAccessPoll.close();
        }
        if (browserSlots != null) {
            browserSlots.close();
        }
        if (health != null) {
            health.close();
        }
        if (reaper != null) {
            reaper.close();
        }
        if (reaperElection != null) {
            reaperElection.close();
        }
        if (recordings != null) {
            recordings.close();
        }
        if (rotations != null) {
            rotations.close();
        }
        if (http != null) {
            http.close();
        }
        if (metricsHttp != null) {
            metricsHttp.close();
        }
        // Close proxied connections and write the last usage before the pool goes.
        if (proxy != null) {
            proxy.close();
        }
        if (peerListener != null) {
            peerListener.close().syncUninterruptibly();
        }
        if (tunnelServer != null) {
            tunnelServer.close();
        }
        if (replicas != null) {
            replicas.close();
        }
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
