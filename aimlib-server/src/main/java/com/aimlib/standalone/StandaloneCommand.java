package com.aimlib.standalone;

import com.aimlib.agent.Agent;
import com.aimlib.agent.LocalAgent;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.host.BrowserHost;
import com.aimlib.host.HostSettings;
import java.net.InetSocketAddress;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import com.aimlib.store.SecretBox;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aimlib standalone}: gateway, browser host and device agent in one JVM with an embedded database. */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run the gateway, a browser host and a local device agent in one process.")
public final class StandaloneCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(StandaloneCommand.class);

    @Option(names = "--port", description = "REST/CDP port (default ${DEFAULT-VALUE})", defaultValue = "7780")
    int port;

    @Option(names = "--socks-port", description = "SOCKS5 proxy port (default ${DEFAULT-VALUE})", defaultValue = "7781")
    int socksPort;

    @Option(names = "--http-proxy-port", description = "HTTP proxy port (default ${DEFAULT-VALUE})", defaultValue = "7782")
    int httpProxyPort;

    @Option(names = "--tunnel-port", description = "Port device agents dial (default ${DEFAULT-VALUE})", defaultValue = "7783")
    int tunnelPort;

    @Mixin
    DatabaseOptions database;

    @Option(names = "--demo", description = "Create a demo customer, device and lease, and print how to use them")
    boolean demo;

    // --- api: operator key, rate limit ---
    @Option(names = "--operator-key", description = "Preset operator key (env AIMLIB_OPERATOR_KEY); otherwise one is minted on first start",
            defaultValue = "${env:AIMLIB_OPERATOR_KEY}")
    String operatorKey;

    @Option(names = "--rate-limit-per-hour", description = "Requests per hour per API key (env AIMLIB_RATE_LIMIT_PER_HOUR, default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_RATE_LIMIT_PER_HOUR:-1000}")
    long rateLimitPerHour;
    // --- end api ---

    // --- browser host (issue 4) ---
    @Option(names = "--chromium", description = "Chromium binary for the in-process browser host (default ${DEFAULT-VALUE})",
            defaultValue = "/usr/bin/chromium")
    Path chromium;

    @Option(names = "--browser-capacity", description = "Concurrent browser sessions of the in-process host (default ${DEFAULT-VALUE})",
            defaultValue = "8")
    int browserCapacity;

    @Option(names = "--warm-browsers", description = "Browsers launched ahead of demand, each used by one session only (default ${DEFAULT-VALUE})",
            defaultValue = "1")
    int warmBrowsers;

    @Option(names = "--egress-probe-url", description = "What-is-my-IP URL each new browser loads through its device to learn its egress IP")
    String egressProbeUrl;
    // --- end browser host ---

    @Override
    public Integer call() throws Exception {
        Database db = Database.open(database.settings());
        Gateway gateway;
        try {
            SecretBox secrets = database.secretBox();
            GatewayConfig config = GatewayConfig.builder().httpPort(port)
                    .socksPort(socksPort).httpProxyPort(httpProxyPort).tunnelPort(tunnelPort).rateLimitPerHour(rateLimitPerHour).build();
            gateway = Gateway.start(config, db, secrets);
        } catch (Exception | Error e) {
            db.close();
            throw e;
        }
        // --- browser host (issue 4): in process, chained to this gateway's SOCKS5 proxy front ---
        BrowserHost browserHost;
        try {
            browserHost = BrowserHost.start(HostSettings.defaults("standalone", gateway.config().region(),
                            new InetSocketAddress(gateway.config().bindHost(), gateway.socksPort()))
                    .withChromium(chromium).withCapacity(browserCapacity).withProbeUrl(egressProbeUrl).withWarmPool(warmBrowsers),
                    gateway.sessions());
        } catch (Exception | Error e) {
            gateway.close();
            db.close();
            throw e;
        }
        // --- end browser host ---
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicReference<Agent> demoAgent = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: finishing requests in flight");
            Agent agent = demoAgent.get();
            if (agent != null) {
                agent.close();
            }
            browserHost.close();
            gateway.close();
            db.close();
            log.info("stopped");
            stopped.countDown();
        }, "aimlib-shutdown"));
        // --- api: operator key and demo rows ---
        StandaloneSetup setup = new StandaloneSetup(db, gateway.secrets(), System.out);
        try {
            setup.ensureOperatorKey(operatorKey);
            if (demo) {
                StandaloneSetup.Demo demoRows = setup.ensureDemo(operatorKey);
                gateway.sessions().ensurePrebound(demoRows.leaseId()); // browser (issue 4): the demo lease's idle session now, not at the reaper's sweep
                setup.printDemo(demoRows, gateway);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        // --- end api ---
        // --- tunnel (issue 3): the demo device's agent, in process, egressing from this machine; it needs the
        // demo rows seeded above (the device is looked up by name) and is stopped first at shutdown.
        if (demo) {
            demoAgent.set(LocalAgent.startIfPresent(gateway, "demo-device"));
        }
        // --- end tunnel ---
        System.out.println("aimlib standalone is up: " + gateway.baseUrl());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
