package com.aimlib.store;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The command-line options that say where a gateway's data lives: an embedded database or an external one. */
public final class DatabaseOptions {

    @Option(names = "--data-dir", description = "Where the embedded database and the server key live (default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_DATA_DIR:-~/.aimlib}")
    String dataDir;

    @Option(names = "--db-url", description = "JDBC URL of an external PostgreSQL (env AIMLIB_DB_URL); without it an embedded one runs",
            defaultValue = "${env:AIMLIB_DB_URL}")
    String dbUrl;

    @Option(names = "--db-user", description = "env AIMLIB_DB_USER", defaultValue = "${env:AIMLIB_DB_USER}")
    String dbUser;

    @Option(names = "--db-password", description = "env AIMLIB_DB_PASSWORD", defaultValue = "${env:AIMLIB_DB_PASSWORD}")
    String dbPassword;

    @Option(names = "--db-pool-size", paramLabel = "N",
            description = "Database connections this process may hold at most (env AIMLIB_DB_POOL_SIZE, default ${DEFAULT-VALUE}); "
                    + "keep pool size x processes below PostgreSQL's max_connections",
            defaultValue = "${env:AIMLIB_DB_POOL_SIZE:-16}")
    int dbPoolSize;

    // Hidden: off only to measure what synchronous commit costs (bench/api/sync-commit.sh); on loses no acknowledged write.
    @Option(names = "--pg-synchronous-commit", hidden = true, defaultValue = "on",
            description = "synchronous_commit of the embedded PostgreSQL (default ${DEFAULT-VALUE})")
    String pgSynchronousCommit;

    public Database.Settings settings() {
        if (dbPoolSize < 1 || dbPoolSize > 1000) {
            throw new com.aimlib.StartupFailure("--db-pool-size (AIMLIB_DB_POOL_SIZE) must be between 1 and 1000, got " + dbPoolSize);
        }
        return (dbUrl == null || dbUrl.isBlank()
                ? Database.Settings.embedded(dataDir().resolve("pg"), pgSynchronousCommit)
                : Database.Settings.external(dbUrl, dbUser, dbPassword)).withPoolSize(dbPoolSize);
    }

    /**
     * This instance's own directory: the embedded database, the server key, browser profiles. A leading
     * {@code ~} is {@code $HOME} when it is set (Java's {@code user.home} comes from the password database and
     * ignores it), so each user or checkout with its own HOME gets its own data.
     */
    public Path dataDir() {
        return expandHome(dataDir, System.getenv("HOME"), System.getProperty("user.home"));
    }

    static Path expandHome(String path, String home, String userHome) {
        if (path.equals("~") || path.startsWith("~/")) {
            String base = home != null && !home.isBlank() ? home : userHome;
            return Path.of(base + path.substring(1)).toAbsolutePath().normalize();
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    public boolean embedded() {
        return dbUrl == null || dbUrl.isBlank();
    }

    /** Takes {@code <data-dir>/aimlib.lock}, so a second instance on this data directory stops with one line. */
    public DataDirLock lockDataDir() throws IOException {
        return DataDirLock.acquire(dataDir());
    }

    /** The server key that seals proxy passwords, created on first use. */
    public SecretBox secretBox() throws IOException {
        return SecretBox.fromKeyFile(dataDir().resolve("server.key"));
    }
}
