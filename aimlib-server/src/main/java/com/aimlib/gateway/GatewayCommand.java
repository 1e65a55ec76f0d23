package com.aimlib.gateway;

import com.aimlib.ProcessLifetime;
import com.aimlib.standalone.StandaloneSetup;
import com.aimlib.store.DataDirLock;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import java.util.concurrent.Callable;
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
    @Mixin
    GatewayOptions options;

    @Mixin
    DatabaseOptions database;

    @Option(names = "--no-migrate", description = "Do not migrate the schema: only check it is current and refuse to start "
            + "otherwise (run 'aimlib migrate' first; for several replicas). Same as AIMLIB_MIGRATE=false")
    boolean noMigrate;

    @Option(names = "--migrate", paramLabel = "true|false", hidden = true, defaultValue = "${env:AIMLIB_MIGRATE:-true}",
            description = "Migrate the schema on start (env AIMLIB_MIGRATE, default ${DEFAULT-VALUE})")
    String migrate;

    /** Whether this gateway applies migrations itself: not with --no-migrate or AIMLIB_MIGRATE=false. */
    boolean migrates() {
        if (noMigrate) {
            return false;
        }
        return switch (migrate == null ? "" : migrate.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new com.aimlib.StartupFailure("AIMLIB_MIGRATE (--migrate) must be true or false, got '" + migrate + "'");
        };
    }

    @Override
    public Integer call() throws Exception {
        // An embedded database lives in the data directory: one process at a time. Taken before anything starts.
        DataDirLock lock = database.embedded() ? database.lockDataDir() : null;
        ProcessLifetime lifetime = new ProcessLifetime("gateway");
        if (lock != null) {
            lifetime.own(lock);
        }
        boolean migrates = migrates();
        Database db = lifetime.own(Database.open(database.settings(), migrates));
        Gateway gateway = lifetime.own(Gateway.start(options.config(), db, database.secretBox(), null,
                com.aimlib.gateway.sessions.BrowserSettings.defaults(), options.recordings(database.dataDir())));
        new StandaloneSetup(db, gateway.secrets(), System.out).ensureOperatorKey(options.operatorKey(), false);
        System.out.println("aimlib gateway is up: " + gateway.baseUrl() + " socks5=" + gateway.socksPort()
                + " http-proxy=" + gateway.httpProxyPort() + " tunnel=" + gateway.tunnelPort());
        System.out.flush();
        lifetime.awaitStop();
        return 0;
    }
}
