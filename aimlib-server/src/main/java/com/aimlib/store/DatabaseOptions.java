package com.aimlib.store;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The command-line options that say where a gateway's data lives: an embedded database or an external one. */
public final class DatabaseOptions {

    @Option(names = "--data-dir", description = "Where the embedded database and the server key live (default ${DEFAULT-VALUE})",
            defaultValue = "${env:AIMLIB_DATA_DIR:-${sys:user.home}/.aimlib}")
    Path dataDir;

    @Option(names = "--db-url", description = "JDBC URL of an external PostgreSQL (env AIMLIB_DB_URL); without it an embedded one runs",
            defaultValue = "${env:AIMLIB_DB_URL}")
    String dbUrl;

    @Option(names = "--db-user", description = "env AIMLIB_DB_USER", defaultValue = "${env:AIMLIB_DB_USER}")
    String dbUser;

    @Option(names = "--db-password", description = "env AIMLIB_DB_PASSWORD", defaultValue = "${env:AIMLIB_DB_PASSWORD}")
    String dbPassword;

    // Hidden: off only to measure what synchronous commit costs (bench/api/sync-commit.sh); on loses no acknowledged write.
    @Option(names = "--pg-synchronous-commit", hidden = true, defaultValue = "on",
            description = "synchronous_commit of the embedded PostgreSQL (default ${DEFAULT-VALUE})")
    String pgSynchronousCommit;

    public Database.Settings settings() {
        return dbUrl == null || dbUrl.isBlank()
                ? Database.Settings.embedded(dataDir.resolve("pg"), pgSynchronousCommit)
                : Database.Settings.external(dbUrl, dbUser, dbPassword);
    }

    /** This instance's own directory: the embedded database, the server key, browser profiles. */
    public Path dataDir() {
        return dataDir;
    }

    /** The server key that seals proxy passwords, created on first use. */
    public SecretBox secretBox() throws IOException {
        return SecretBox.fromKeyFile(dataDir.resolve("server.key"));
    }
}
