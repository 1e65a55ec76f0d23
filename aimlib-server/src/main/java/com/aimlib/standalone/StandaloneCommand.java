package com.aimlib.standalone;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.host.BrowserHost;
import com.aimlib.host.HostSettings;
import java.net.InetSocketAddress;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aimlib standalone}: gateway, browser host and device agent in one JVM with an embedded database. */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run the gateway, a browser host and a local device agent in one process.")
public final class StandaloneCommand implements Callable<Integer> {

    @Option(names = "--port", description = "REST/CDP port (default ${DEFAULT-VALUE})", defaultValue = "7780")
    int port;

    @Option(names = "--data-dir", description = "Where the embedded database and server key live (default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_DATA_DIR:-${sys:user.home}/.aimlib}")
    Path dataDir;

    @Option(names = "--db-url", description = "JDBC URL of an external PostgreSQL (env AIMLIB_DB_URL)", defaultValue = "${env:AIMLIB_DB_URL}")
    String dbUrl;

    @Option(names = "--db-user", description = "env AIMLIB_DB_USER", defaultValue = "${env:AIMLIB_DB_USER}")
    String dbUser;

    @Option(names = "--db-password", description = "env AIMLIB_DB_PASSWORD", defaultValue = "${env:AIMLIB_DB_PASSWORD}")
    String dbPassword;

    @Option(names = "--demo", description = "Create a demo customer, device and lease, and print how to use them")
    boolean demo;

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
        Database.Settings settings = dbUrl == null || dbUrl.isBlank()
                ? Database.Settings.embedded(dataDir.resolve("pg"))
                : Database.Settings.external(dbUrl, dbUser, dbPassword);
        Database db = Database.open(settings);
        SecretBox secrets = SecretBox.fromKeyFile(dataDir.resolve("server.key"));
        GatewayConfig config = GatewayConfig.builder().httpPort(port).build();
        Gateway gateway = Gateway.start(config, db, secrets);
        // --- browser host (issue 4): in process, chained to this gateway's SOCKS5 proxy front ---
        BrowserHost browserHost = BrowserHost.start(HostSettings.defaults("standalone", config.region(),
                        new InetSocketAddress(config.bindHost(), gateway.socksPort()))
                .withChromium(chromium).withCapacity(browserCapacity).withProbeUrl(egressProbeUrl).withWarmPool(warmBrowsers),
                gateway.sessions());
        // --- end browser host ---
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            browserHost.close();
            gateway.close();
            db.close();
            stopped.countDown();
        }, "aimlib-shutdown"));
        System.out.println("aimlib standalone is up: " + gateway.baseUrl());
        stopped.await();
        return 0;
    }
}
