package com.aimlib.gateway;

import com.aimlib.gateway.health.DeviceHealthMonitor;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The command-line options of a gateway: where it listens, what customers see, its region, rate limit
 * and the two browser settings the customer documentation names by environment variable
 * ({@code FARMCTL_MAX_TABS_PER_SESSION}, {@code FARMCTL_AUTO_BROWSER_SESSION}).
 */
public final class GatewayOptions {

    @Option(names = "--bind", description = "Address every listener binds (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String bind;

    @Option(names = "--public-host", description = "Host name customers use in URLs (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String publicHost;

    @Option(names = "--public-url", description = "Base URL customers reach the REST/CDP port at when a TLS terminator or "
            + "load balancer fronts it, e.g. https://uswest1.aimlib.com: connect URLs become wss://uswest1.aimlib.com/cdp/<id> "
            + "(env AIMLIB_PUBLIC_URL; default http://<public-host>:<port>)", defaultValue = "${env:AIMLIB_PUBLIC_URL}")
    String publicUrl;

    @Option(names = "--port", description = "REST/CDP port (default ${DEFAULT-VALUE})", defaultValue = "7780")
    int port;

    @Option(names = "--socks-port", description = "SOCKS5 proxy port (default ${DEFAULT-VALUE})", defaultValue = "7781")
    int socksPort;

    @Option(names = "--http-proxy-port", description = "HTTP proxy port (default ${DEFAULT-VALUE})", defaultValue = "7782")
    int httpProxyPort;

    @Option(names = "--tunnel-port", description = "Port device agents dial (default ${DEFAULT-VALUE})", defaultValue = "7783")
    int tunnelPort;

    @Option(names = "--peer-port", description = "Port other gateway replicas dial to reach the devices whose tunnels this one holds "
            + "(env AIMLIB_PEER_PORT, default ${DEFAULT-VALUE}: a free port, advertised in the database)", defaultValue = "${env:AIMLIB_PEER_PORT:-0}")
    int peerPort;

    @Option(names = "--peer-advertise", paramLabel = "HOST",
            description = "Address other replicas reach this one's peer port at (env AIMLIB_PEER_ADVERTISE, e.g. the pod IP; default: --public-host)",
            defaultValue = "${env:AIMLIB_PEER_ADVERTISE}")
    String peerAdvertise;

    @Option(names = "--region", description = "This gateway's region (default ${DEFAULT-VALUE})", defaultValue = "local")
    String region;

    @Option(names = "--rate-limit-per-hour", description = "Requests per hour per API key (env AIMLIB_RATE_LIMIT_PER_HOUR, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_RATE_LIMIT_PER_HOUR:-1000}")
    long rateLimitPerHour;

    @Option(names = "--rate-limit-store", paramLabel = "postgres|memory",
            description = "Where the per-key rate-limit buckets live: postgres (shared by every gateway replica) or memory "
                    + "(this process only) (env AIMLIB_RATE_LIMIT_STORE; default postgres for `gateway`, memory for `standalone`)",
            defaultValue = "${env:AIMLIB_RATE_LIMIT_STORE}")
    String rateLimitStore;

    @Option(names = "--operator-key", description = "Preset operator key (env AIMLIB_OPERATOR_KEY); otherwise one is minted on first start",
            defaultValue = "${env:AIMLIB_OPERATOR_KEY}")
    String operatorKey;

    @Option(names = "--max-tabs-per-session",
            description = "max_tabs returned on session create (env FARMCTL_MAX_TABS_PER_SESSION, default ${DEFAULT-VALUE})",
            defaultValue = "${env:FARMCTL_MAX_TABS_PER_SESSION:-5}")
    int maxTabsPerSession;

    @Option(names = "--proxy-protocol", paramLabel = "true|false",
            description = "The SOCKS5, HTTP proxy and tunnel ports expect a PROXY protocol v1/v2 header (HAProxy send-proxy-v2) "
                    + "and take the client's address from it; a connection without one is closed "
                    + "(env AIMLIB_PROXY_PROTOCOL, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_PROXY_PROTOCOL:-false}")
    String proxyProtocol;

    @Option(names = "--auto-browser-session", paramLabel = "true|false",
            description = "Pre-bind a zero-cost idle browser session to every lease with a proxy "
                    + "(env FARMCTL_AUTO_BROWSER_SESSION, default ${DEFAULT-VALUE})",
            defaultValue = "${env:FARMCTL_AUTO_BROWSER_SESSION:-true}")
    String autoBrowserSession;

    @Option(names = "--http-idle-timeout", paramLabel = "SECONDS",
            description = "Close a REST/CDP connection idle this long between requests (env AIMLIB_HTTP_IDLE_TIMEOUT, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_HTTP_IDLE_TIMEOUT:-60}")
    long httpIdleTimeout;

    @Option(names = "--http-header-timeout", paramLabel = "SECONDS",
            description = "A request's line and headers must arrive within this many seconds of its first byte "
                    + "(env AIMLIB_HTTP_HEADER_TIMEOUT, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_HTTP_HEADER_TIMEOUT:-10}")
    long httpHeaderTimeout;

    @Option(names = "--http-body-timeout", paramLabel = "SECONDS",
            description = "A request's body must arrive within this many seconds of its headers "
                    + "(env AIMLIB_HTTP_BODY_TIMEOUT, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_HTTP_BODY_TIMEOUT:-30}")
    long httpBodyTimeout;

    @Option(names = "--http-max-connections",
            description = "Open REST/CDP connections above this are refused with 503 too_many_connections; keep it well "
                    + "below the process's file-descriptor limit (env AIMLIB_HTTP_MAX_CONNECTIONS, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_HTTP_MAX_CONNECTIONS:-10000}")
    int httpMaxConnections;

    @Option(names = "--metrics-port",
            description = "Serve GET /metrics without authentication on this separate port for a Prometheus scraper "
                    + "(env AIMLIB_METRICS_PORT; default: off, /metrics only on the REST port with an operator key)",
            defaultValue = "${env:AIMLIB_METRICS_PORT}")
    Integer metricsPort;

    @Option(names = "--metrics-host", description = "Address the metrics port binds (env AIMLIB_METRICS_HOST, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_METRICS_HOST:-127.0.0.1}")
    String metricsHost;

    @Option(names = "--device-health-interval", paramLabel = "SECONDS",
            description = "Ask every connected device's agent about its health (RTT, signal, battery, egress) this often "
                    + "(env AIMLIB_DEVICE_HEALTH_INTERVAL, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_DEVICE_HEALTH_INTERVAL:-15}")
    long deviceHealthInterval;

    @Option(names = "--device-unhealthy-after", paramLabel = "SECONDS",
            description = "Mark a device unhealthy when no egress probe succeeded for this long "
                    + "(env AIMLIB_DEVICE_UNHEALTHY_AFTER, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_DEVICE_UNHEALTHY_AFTER:-120}")
    long deviceUnhealthyAfter;

    @Option(names = "--context-max-bytes", paramLabel = "BYTES",
            description = "Largest saved browser context (packed); above it a save is 413 context_too_large "
                    + "(env AIMLIB_CONTEXT_MAX_BYTES, default ${DEFAULT-VALUE} = 20 MiB)",
            defaultValue = "${env:AIMLIB_CONTEXT_MAX_BYTES:-20971520}")
    long contextMaxBytes;

    @Option(names = "--extension-max-bytes", paramLabel = "BYTES",
            description = "Largest extension upload body (POST /v1/extensions only) (env AIMLIB_EXTENSION_MAX_BYTES, "
                    + "default ${DEFAULT-VALUE} = 10 MiB)",
            defaultValue = "${env:AIMLIB_EXTENSION_MAX_BYTES:-10485760}")
    long extensionMaxBytes;

    @Option(names = "--recordings-dir", description = "Where session recordings are kept (env AIMLIB_RECORDINGS_DIR; default: "
            + "<data-dir>/recordings)", defaultValue = "${env:AIMLIB_RECORDINGS_DIR}")
    java.nio.file.Path recordingsDir;

    @Option(names = "--recording-quota-bytes", description = "Default per-customer storage quota for recordings "
            + "(env AIMLIB_RECORDING_QUOTA_BYTES, default ${DEFAULT-VALUE} = 1 GiB)", defaultValue = "${env:AIMLIB_RECORDING_QUOTA_BYTES:-1073741824}")
    long recordingQuotaBytes;

    @Option(names = "--recording-retention-hours", description = "Hours recordings are kept after their session ended "
            + "(env AIMLIB_RECORDING_RETENTION_HOURS, default ${DEFAULT-VALUE} = 7 days)", defaultValue = "${env:AIMLIB_RECORDING_RETENTION_HOURS:-168}")
    long recordingRetentionHours;

    /** Recordings (issue 14): under {@code --recordings-dir}, else {@code <dataDir>/recordings}. */
    public com.aimlib.gateway.recordings.RecordingSettings recordings(java.nio.file.Path dataDir) {
        if (recordingQuotaBytes < 0) {
            throw new IllegalArgumentException("--recording-quota-bytes (AIMLIB_RECORDING_QUOTA_BYTES) must be at least 0, got " + recordingQuotaBytes);
        }
        atLeastOne("--recording-retention-hours (AIMLIB_RECORDING_RETENTION_HOURS)", recordingRetentionHours);
        return com.aimlib.gateway.recordings.RecordingSettings.in(recordingsDir != null ? recordingsDir : dataDir.resolve("recordings"))
                .withQuota(recordingQuotaBytes).withRetention(Duration.ofHours(recordingRetentionHours));
    }

    private static boolean rateLimitStore(String what, String store) {
        return switch (store == null ? "" : store.strip()) {
            case "postgres" -> true;
            case "memory" -> false;
            default -> throw new IllegalArgumentException(what + " must be postgres or memory, got '" + store + "'");
        };
    }

    private static int port(String what, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 0-65535, got " + port);
        }
        return port;
    }

    public GatewayConfig config() {
        return config(true);
    }

    /**
     * {@code sharedRateLimitsByDefault}: where the rate-limit buckets live when {@code --rate-limit-store} is not given:
     * PostgreSQL for a gateway (it may have replicas), memory for standalone (one process by definition).
     */
    public GatewayConfig config(boolean sharedRateLimitsByDefault) {
        if (maxTabsPerSession < 1) {
            throw new IllegalArgumentException("--max-tabs-per-session (FARMCTL_MAX_TABS_PER_SESSION) must be at least 1, got "
                    + maxTabsPerSession);
        }
        return GatewayConfig.builder().bindHost(bind).publicHost(publicHost).publicUrl(publicUrl).httpPort(port)
                .socksPort(socksPort).httpProxyPort(httpProxyPort).tunnelPort(tunnelPort).region(region)
                .rateLimitPerHour(rateLimitPerHour).maxTabs(maxTabsPerSession)
                .sharedRateLimits(rateLimitStore == null || rateLimitStore.isBlank() ? sharedRateLimitsByDefault
                        : rateLimitStore("--rate-limit-store (AIMLIB_RATE_LIMIT_STORE)", rateLimitStore))
                .autoBrowserSession(flag(autoBrowserSession))
                .proxyProtocol(flag(proxyProtocol))
                .httpIdleTimeout(seconds("--http-idle-timeout (AIMLIB_HTTP_IDLE_TIMEOUT)", httpIdleTimeout))
                .httpHeaderTimeout(seconds("--http-header-timeout (AIMLIB_HTTP_HEADER_TIMEOUT)", httpHeaderTimeout))
                .httpBodyTimeout(seconds("--http-body-timeout (AIMLIB_HTTP_BODY_TIMEOUT)", httpBodyTimeout))
                .httpMaxConnections(atLeastOne("--http-max-connections (AIMLIB_HTTP_MAX_CONNECTIONS)", httpMaxConnections))
                .metricsHost(metricsHost).metricsPort(metricsPort)
                .deviceHealth(new DeviceHealthMonitor.Settings(
                        seconds("--device-health-interval (AIMLIB_DEVICE_HEALTH_INTERVAL)", deviceHealthInterval),
                        seconds("--device-unhealthy-after (AIMLIB_DEVICE_UNHEALTHY_AFTER)", deviceUnhealthyAfter),
                        DeviceHealthMonitor.Settings.defaults().answerTimeout()))
                .contextMaxBytes(atLeastOne("--context-max-bytes (AIMLIB_CONTEXT_MAX_BYTES)", contextMaxBytes))
                .extensionMaxBytes(atLeastOne("--extension-max-bytes (AIMLIB_EXTENSION_MAX_BYTES)", extensionMaxBytes))
                .replicas(com.aimlib.gateway.replicas.Replicas.Settings.defaults().withPeer(port("--peer-port (AIMLIB_PEER_PORT)", peerPort),
                        peerAdvertise == null || peerAdvertise.isBlank() ? null : peerAdvertise.strip()))
                .build();
    }

    private static Duration seconds(String option, long v) {
        return Duration.ofSeconds(atLeastOne(option, v));
    }

    private static int atLeastOne(String option, long v) {
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + v);
        }
        return (int) v;
    }

    /** A switch as environment variables spell it: true/false, 1/0, yes/no, on/off. */
    static boolean flag(String v) {
        return switch (v == null ? "" : v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException(
                    "--auto-browser-session (FARMCTL_AUTO_BROWSER_SESSION) must be true or false, got '" + v + "'");
        };
    }

    public String operatorKey() {
        return operatorKey;
    }
}
