package com.aimlib.migrate;

import com.aimlib.store.DataDirLock;
import com.aimlib.store.Database;
import com.aimlib.store.DatabaseOptions;
import com.aimlib.store.EmbeddedDatabase;
import com.aimlib.store.SchemaMigrations;
import java.util.concurrent.Callable;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code aimlib migrate}: applies the schema's migrations once and exits 0, for a Kubernetes Job (or an
 * upgrade script) run before the gateways, which then start with {@code --no-migrate} and only check the
 * version. A second run is a no-op. A failure is one line on stderr and exit 1.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply the database schema's migrations once and exit (run before gateways started with --no-migrate).")
public final class MigrateCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        Database.Settings settings = database.settings();
        SchemaMigrations.Outcome outcome;
        if (settings.isEmbedded()) {
            // The embedded database of a single-machine install: started for the run, stopped after it.
            try (DataDirLock lock = database.lockDataDir();
                 EmbeddedDatabase pg = EmbeddedDatabase.start(settings.dataDir(), settings.embeddedPort(), settings.synchronousCommit())) {
                outcome = SchemaMigrations.migrate(dataSource(pg.jdbcUrl("postgres"), pg.user(), pg.password()),
                        "the embedded database in " + settings.dataDir());
            }
        } else {
            int q = settings.url().indexOf('?');
            String where = q < 0 ? settings.url() : settings.url().substring(0, q);
            outcome = SchemaMigrations.migrate(dataSource(settings.url(), settings.user(), settings.password()), where);
        }
        System.out.println(outcome.applied() == 0
                ? "aimlib migrate: schema already at version " + outcome.after() + ", nothing to do"
                : "aimlib migrate: applied " + outcome.applied() + " migration" + (outcome.applied() == 1 ? "" : "s")
                        + ", schema version " + outcome.before() + " -> " + outcome.after());
        System.out.flush();
        return 0;
    }

    private static PGSimpleDataSource dataSource(String url, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        if (user != null) {
            ds.setUser(user);
        }
        if (password != null) {
            ds.setPassword(password);
        }
        ds.setConnectTimeout(10);
        ds.setLoginTimeout(15);
        return ds;
    }
}
