package com.aimlib.gateway;

import picocli.CommandLine.Option;

/** The command-line options of a gateway: where it listens, what customers see, its region and rate limit. */
public final class GatewayOptions {

    @Option(names = "--bind", description = "Address every listener binds (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String bind;

    @Option(names = "--public-host", description = "Host name customers use in URLs (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String publicHost;

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

    public GatewayConfig config() {
        return GatewayConfig.builder().bindHost(bind).publicHost(publicHost).httpPort(port)
                .socksPort(socksPort).httpProxyPort(httpProxyPort).tunnelPort(tunnelPort).region(region)
                .rateLimitPerHour(rateLimitPerHour).build();
    }

    public String operatorKey() {
        return operatorKey;
    }
}
