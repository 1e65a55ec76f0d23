package com.aimlib.gateway;

import com.aimlib.ProcessLifetime;
import com.aimlib.standalone.StandaloneSetup;
import com.aimlib.store.DataDirLock;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

    @Override
    public Integer call() throws Exception {
        // An embedded database lives in the data directory: one process at a time. Taken before anything starts.
        DataDirLock lock = database.embedded() ? database.lockDataDir() : null;
        ProcessLifetime lifetime = new ProcessLifetime("gateway");
        if (lock != null) {
            lifetime.own(lock);
        }
        Database db = lifetime.own(Database.open(database.settings()));
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
