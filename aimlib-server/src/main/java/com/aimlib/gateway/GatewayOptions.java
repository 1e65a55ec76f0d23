package com.aimlib.gateway;

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

    @Option(names = "--region", description = "This gateway's region (default ${DEFAULT-VALUE})", defaultValue = "local")
    String region;

    @Option(names = "--rate-limit-per-hour", description = "Requests per hour per API key (env AIMLIB_RATE_LIMIT_PER_HOUR, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_RATE_LIMIT_PER_HOUR:-1000}")
    long rateLimitPerHour;

    @Option(names = "--operator-key", description = "Preset operator key (env AIMLIB_OPERATOR_KEY); otherwise one is minted on first start",
            defaultValue = "${env:AIMLIB_OPERATOR_KEY}")
    String operatorKey;

    @Option(names = "--max-tabs-per-session",
            description = "max_tabs returned on session create (env FARMCTL_MAX_TABS_PER_SESSION, default ${DEFAULT-VALUE})",
            defaultValue = "${env:FARMCTL_MAX_TABS_PER_SESSION:-5}")
    int maxTabsPerSession;

    @Option(names = "--auto-browser-session", paramLabel = "true|false",
            description = "Pre-bind a zero-cost idle browser session to every lease with a proxy "
                    + "(env FARMCTL_AUTO_BROWSER_SESSION, default ${DEFAULT-VALUE})",
            defaultValue = "${env:FARMCTL_AUTO_BROWSER_SESSION:-true}")
    String autoBrowserSession;

    public GatewayConfig config() {
        if (maxTabsPerSession < 1) {
            throw new IllegalArgumentException("--max-tabs-per-session (FARMCTL_MAX_TABS_PER_SESSION) must be at least 1, got "
                    + maxTabsPerSession);
        }
        return GatewayConfig.builder().bindHost(bind).publicHost(publicHost).publicUrl(publicUrl).httpPort(port)
                .socksPort(socksPort).httpProxyPort(httpProxyPort).tunnelPort(tunnelPort).region(region)
                .rateLimitPerHour(rateLimitPerHour).maxTabs(maxTabsPerSession)
                .autoBrowserSession(flag(autoBrowserSession)).build();
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
