package com.aimlib.gateway;

import com.aimlib.standalone.StandaloneSetup;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code aimlib gateway}: the gateway role alone, for a deployment where device agents and browser hosts
 * run elsewhere ({@code aimlib agent}, {@code aimlib host}).
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway: REST /v1 and /admin/v1, proxy front, tunnel endpoint, CDP relay.")
public final class GatewayCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(GatewayCommand.class);

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

    @Option(names = "--rate-limit-per-hour", description = "Requests per hour per API key (default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_RATE_LIMIT_PER_HOUR:-1000}")
    long rateLimitPerHour;

    @Option(names = "--operator-key", description = "Preset operator key (env AIMLIB_OPERATOR_KEY); otherwise one is minted on first start",
            defaultValue = "${env:AIMLIB_OPERATOR_KEY}")
    String operatorKey;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        Database db = Database.open(database.settings());
        Gateway gateway;
        try {
            GatewayConfig config = GatewayConfig.builder().bindHost(bind).publicHost(publicHost).httpPort(port)
                    .socksPort(socksPort).httpProxyPort(httpProxyPort).tunnelPort(tunnelPort).region(region)
                    .rateLimitPerHour(rateLimitPerHour).build();
            gateway = Gateway.start(config, db, database.secretBox());
            new StandaloneSetup(db, gateway.secrets(), System.out).ensureOperatorKey(operatorKey);
        } catch (Exception | Error e) {
            db.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            db.close();
            log.info("stopped");
            stopped.countDown();
        }, "aimlib-shutdown"));
        System.out.println("aimlib gateway is up: " + gateway.baseUrl() + " socks5=" + gateway.socksPort()
                + " http-proxy=" + gateway.httpProxyPort() + " tunnel=" + gateway.tunnelPort());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
