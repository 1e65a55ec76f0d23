package com.aimlib.standalone;

import com.aimlib.ProcessLifetime;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.standalone.LocalAgent;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayOptions;
import com.aimlib.host.BrowserHost;
import com.aimlib.host.HostSettings;
import com.aimlib.store.DataDirLock;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import io.micrometer.core.instrument.Metrics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aimlib standalone}: gateway, browser host and device agent in one JVM with an embedded database. */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run the gateway, a browser host and a local device agent in one process.")
public final class StandaloneCommand implements Callable<Integer> {

    @Mixin
    GatewayOptions gatewayOptions;

    @Mixin
    DatabaseOptions database;

    @Option(names = "--demo", description = "Create a demo customer, device and lease, and print how to use them")
    boolean demo;

    @Option(names = "--chromium", description = "Chromium binary for the in-process browser host (default ${DEFAULT-VALUE})",
            defaultValue = "/usr/bin/chromium")
    Path chromium;

    @Option(names = "--browser-capacity", description = "Concurrent browser sessions of the in-process host (default ${DEFAULT-VALUE})",
            defaultValue = "8")
    int browserCapacity;

    @picocli.CommandLine.Mixin
    com.aimlib.host.WarmPoolOptions pool;

    @Option(names = "--egress-probe-url", description = "What-is-my-IP URL the demo agent and each new browser load through "
            + "the device to learn its egress IP (default: the demo origin's /ip)")
    String egressProbeUrl;

    @Option(names = "--demo-origin-port", description = "Port of the demo origin on 127.0.0.1, the one loopback site the demo "
            + "device may reach (default ${DEFAULT-VALUE}: any free port)", defaultValue = "0")
    int demoOriginPort;

    @Option(names = "--egress-allow", defaultValue = "${env:AIMLIB_EGRESS_ALLOW}",
            description = "Comma-separated CIDRs, addresses and host:ports the demo device may reach beyond the demo origin "
                    + "(loopback, private, link-local and this host's addresses are refused otherwise); env AIMLIB_EGRESS_ALLOW")
    String egressAllow;

    @Override
    public Integer call() throws Exception {
        try {
            EgressPolicy.parse(egressAllow);
        } catch (IllegalArgumentException e) {
            System.err.println("--egress-allow: " + e.getMessage());
            return 2;
        }
        // The data directory (embedded database, browser work dirs) belongs to one process: taken before anything starts.
        DataDirLock lock = database.lockDataDir();
        BrowserHost.requireChromium(chromium);
        ProcessLifetime lifetime = new ProcessLifetime("standalone");
        lifetime.own(lock);
        Database db = lifetime.own(Database.open(database.settings()));
        Gateway gateway = lifetime.own(Gateway.start(gatewayOptions.config(false), db, database.secretBox(), null,
                com.aimlib.gateway.sessions.BrowserSettings.defaults(), gatewayOptions.recordings(database.dataDir())));
        // The in-process agent counts on the global registry: its counters appear on this gateway's /metrics.
        Metrics.addRegistry(gateway.meters());
        DemoOrigin origin = lifetime.own(DemoOrigin.start(demoOriginPort));
        String probeUrl = egressProbeUrl != null ? egressProbeUrl : origin.url() + "/ip";
        // The browser host runs in process, its bridges chained to this gateway's own SOCKS5 proxy front.
        lifetime.own(BrowserHost.start(HostSettings.defaults("standalone", gateway.config().region(),
                        new InetSocketAddress(gateway.config().bindHost(), gateway.socksPort()))
                .withChromium(chromium).withCapacity(browserCapacity).withProbeUrl(probeUrl).withWarmPool(pool.floor())
                // Under the data dir, not a shared temp dir: the host kills any browser in its work dir that it
                // does not own, so two instances on one machine must never share one.
                .withWorkDir(database.dataDir().resolve("browsers")),
                pool.settings(), gateway.sessions()));
        StandaloneSetup setup = new StandaloneSetup(db, gateway.secrets(), System.out);
        try {
            setup.ensureOperatorKey(gatewayOptions.operatorKey(), demo);
            if (demo) {
                StandaloneSetup.Demo demoRows = setup.ensureDemo(gatewayOptions.operatorKey());
                gateway.sessions().ensurePrebound(demoRows.leaseId()); // the demo lease's idle session now, not at the reaper's sweep
                setup.printDemo(demoRows, gateway, origin.url(), database.dataDir().resolve(StandaloneSetup.DEMO_ENV));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        if (demo) {
            // The demo device's agent egresses from this machine; it needs the demo rows above and, owned last,
            // is stopped first at shutdown. Of this machine's loopback it reaches the demo origin only.
            String allow = origin.hostPort() + (egressAllow == null || egressAllow.isBlank() ? "" : "," + egressAllow);
            var agent = LocalAgent.startIfPresent(gateway, "demo-device", probeUrl, EgressPolicy.parse(allow));
            if (agent != null) {
                lifetime.own(agent);
            }
        }
        System.out.println("aimlib standalone is up: " + gateway.baseUrl());
        System.out.flush();
        lifetime.awaitStop();
        return 0;
    }
}
