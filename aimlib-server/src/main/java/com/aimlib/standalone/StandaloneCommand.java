package com.aimlib.standalone;

import com.aimlib.agent.Agent;
import com.aimlib.agent.LocalAgent;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
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

    @Override
    public Integer call() throws Exception {
        Database.Settings settings = dbUrl == null || dbUrl.isBlank()
                ? Database.Settings.embedded(dataDir.resolve("pg"))
                : Database.Settings.external(dbUrl, dbUser, dbPassword);
        Database db = Database.open(settings);
        SecretBox secrets = SecretBox.fromKeyFile(dataDir.resolve("server.key"));
        GatewayConfig config = GatewayConfig.builder().httpPort(port).build();
        Gateway gateway = Gateway.start(config, db, secrets);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            db.close();
            stopped.countDown();
        }, "aimlib-shutdown"));
        // --- tunnel (issue 3): the demo device's agent, in-process, egressing from this machine. Runs after the
        // demo rows are seeded (the device is looked up by name); stops with the process.
        if (demo) {
            Agent demoAgent = LocalAgent.startIfPresent(gateway, "demo-device");
            if (demoAgent != null) {
                Runtime.getRuntime().addShutdownHook(new Thread(demoAgent::close, "demo-agent-shutdown"));
            }
        }
        // --- end tunnel ---
        System.out.println("aimlib standalone is up: " + gateway.baseUrl());
        stopped.await();
        return 0;
    }
}
