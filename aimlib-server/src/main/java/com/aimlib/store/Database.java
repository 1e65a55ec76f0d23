package com.aimlib.store;

import com.aimlib.StartupFailure;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's PostgreSQL: an external server named by a JDBC URL, or an embedded one in a data
 * directory. Flyway brings the schema up to date on start; Jdbi over HikariCP is the way in.
 * Every call into it blocks, so it belongs on a virtual thread, never on an event loop.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final EmbeddedDatabase embedded;
    private final HikariDataSource pool;
    private final Jdbi jdbi;

    private Database(EmbeddedDatabase embedded, HikariDataSource pool) {
        this.embedded = embedded;
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
    }

    /**
     * Where the data lives: {@code url} for an external server, or {@code dataDir} for the embedded one, whose
     * {@code synchronousCommit} is {@code on} unless a benchmark measures the difference.
     */
    public record Settings(String url, String user, String password, Path dataDir, int embeddedPort, int poolSize, String synchronousCommit) {
        public Settings {
            if (poolSize <= 0) {
                poolSize = 16;
            }
            if (synchronousCommit == null || synchronousCommit.isBlank()) {
                synchronousCommit = "on";
            }
        }

        public static Settings embedded(Path dataDir) {
            return embedded(dataDir, "on");
        }

        public static Settings embedded(Path dataDir, String synchronousCommit) {
            return new Settings(null, null, null, dataDir, 0, 16, synchronousCommit);
        }

        public static Settings external(String url, String user, String password) {
            return new Settings(url, user, password, null, 0, 16, null);
        }

        @Override
        public String toString() {
            return isEmbedded() ? "Settings[embedded " + dataDir + "]" : "Settings[" + url + " user=" + user + "]";
        }

        public boolean isEmbedded() {
            return url == null || url.isBlank();
        }

        /** The same place with a pool of {@code size} connections (at most this many per process). */
        public Settings withPoolSize(int size) {
            return new Settings(url, user, password, dataDir, embeddedPort, size, synchronousCommit);
        }
    }

    public static Database open(Settings settings) throws IOException {
        return open(settings, true);
    }

    /**
     * Opens the database; with {@code migrate} false the schema is only checked: a database that lacks a
     * migration of this build stops the start with one line naming {@code aimlib migrate}.
     */
    public static Database open(Settings settings, boolean migrate) throws IOException {
        EmbeddedDatabase embedded = null;
        String url = settings.url();
        String user = settings.user();
        String password = settings.password();
        if (settings.isEmbedded()) {
            embedded = EmbeddedDatabase.start(settings.dataDir(), settings.embeddedPort(), settings.synchronousCommit());
            url = embedded.jdbcUrl("postgres");
            user = embedded.user();
            password = embedded.password();
        }
        try {
            return open(url, user, password, settings.poolSize(), embedded, migrate);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /** Opens a pool on an existing server and migrates it; {@code owned} is closed with this database. */
    public static Database open(String url, String user, String password, int poolSize, EmbeddedDatabase owned) {
        return open(url, user, password, poolSize, owned, true);
    }

    /** Opens a pool on an existing server and migrates it or, with {@code migrate} false, checks its schema is current. */
    public static Database open(String url, String user, String password, int poolSize, EmbeddedDatabase owned, boolean migrate) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(4, poolSize));
        config.setPoolName("aimlib-db");
        config.setConnectionTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            if (owned != null) {
                throw e;
            }
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new StartupFailure("cannot reach the database at " + withoutQuery(url) + " (" + root.getMessage()
                    + "): start it or fix --db-url/--db-user/--db-password (env AIMLIB_DB_URL, AIMLIB_DB_USER, AIMLIB_DB_PASSWORD),"
                    + " or leave --db-url out to use the embedded database");
        }
        try {
            if (migrate) {
                Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
            } else {
                SchemaMigrations.requireCurrent(pool, withoutQuery(url));
            }
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        log.info("database ready pool={} migrated={}", poolSize, migrate);
        return new Database(owned, pool);
    }

    private static String withoutQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** The connection pool (Bucket4j's PostgreSQL store and the reaper election take connections from it). */
    public javax.sql.DataSource dataSource() {
        return pool;
    }

    /** True when a connection can be had and answers a trivial query. */
    public boolean ping() {
        try (Connection c = pool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                log.warn("embedded postgres did not stop cleanly: {}", e.toString());
            }
        }
    }
}
