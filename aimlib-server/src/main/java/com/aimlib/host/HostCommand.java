package com.aimlib.host;

import com.aimlib.ProcessLifetime;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aimlib host}: a browser host in its own process, registered in the gateway's database
 * (region, capacity, address), heart-beating, taking boot and stop orders from it. Chromium's DevTools
 * listen on 127.0.0.1, so the gateway's relay must run on the same machine (one host per gateway
 * machine) until the host gets its own relay endpoint.
 */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Run a browser host for a gateway.")
public final class HostCommand implements Callable<Integer> {

    @Option(names = "--name", description = "Unique host name (default ${DEFAULT-VALUE})", defaultValue = "${env:HOSTNAME:-host}")
    String name;

    @Option(names = "--region", description = "Region whose devices this host serves (default ${DEFAULT-VALUE})", defaultValue = "local")
    String region;

    @Option(names = "--capacity", description = "Concurrent browsers (default ${DEFAULT-VALUE})", defaultValue = "8")
    int capacity;

    @Option(names = "--chromium", description = "Chromium binary (default ${DEFAULT-VALUE})", defaultValue = "/usr/bin/chromium")
    Path chromium;

    @Option(names = "--work-dir", description = "Where user-data-dirs live (default: a directory under java.io.tmpdir)")
    Path workDir;

    @Option(names = "--upstream", description = "The gateway proxy front the bridges chain to, socks5://host:port or http://host:port",
            required = true)
    URI upstream;

    @picocli.CommandLine.Mixin
    WarmPoolOptions pool;

    @Option(names = "--egress-probe-url", description = "What-is-my-IP URL each new browser loads through its device")
    String probeUrl;

    @Option(names = "--db-url", description = "JDBC URL of the gateway's PostgreSQL (env AIMLIB_DB_URL)", defaultValue = "${env:AIMLIB_DB_URL}",
            required = true)
    String dbUrl;

    @Option(names = "--db-user", defaultValue = "${env:AIMLIB_DB_USER}")
    String dbUser;

    @Option(names = "--db-password", defaultValue = "${env:AIMLIB_DB_PASSWORD}")
    String dbPassword;

    @Option(names = "--key-file", description = "The gateway's server key (decrypts the lease proxy credentials)", required = true)
    Path keyFile;

    @Override
    public Integer call() throws Exception {
        BrowserHost.requireChromium(chromium);
        ProcessLifetime lifetime = new ProcessLifetime("host");
        Database db = lifetime.own(Database.open(Database.Settings.external(dbUrl, dbUser, dbPassword)));
        SecretBox box = SecretBox.fromKeyFile(keyFile);
        // The database-backed gateway link: registration, heart-beats and reports are plain SQL.
        BrowserSessions link = new BrowserSessions(db, box, Clock.systemUTC(), BrowserSettings.defaults(), false, 5, () -> "", null);
        HostSettings settings = HostSettings.defaults(name, region, new InetSocketAddress(upstream.getHost(), upstream.getPort()))
                .withUpstream(upstream.getScheme(), new InetSocketAddress(upstream.getHost(), upstream.getPort()))
                .withCapacity(capacity).withChromium(chromium).withProbeUrl(probeUrl).withWarmPool(pool.floor());
        if (workDir != null) {
            settings = settings.withWorkDir(workDir);
        }
        BrowserHost host = lifetime.own(BrowserHost.start(settings, pool.settings(), link));
        lifetime.own(new HostOrders(db, box, host, 100));
        System.out.println("aimlib host " + name + " is up: region=" + region + " capacity=" + capacity);
        lifetime.awaitStop();
        return 0;
    }
}
