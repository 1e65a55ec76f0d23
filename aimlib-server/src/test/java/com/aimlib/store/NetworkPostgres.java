package com.aimlib.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's embedded PostgreSQL binaries as an external server for the topology test: a cluster initialised the
 * way {@link EmbeddedDatabase} does it (scram-sha-256 everywhere, a generated password), then the command line of a
 * {@code postgres} that listens on a TCP address, for the caller to run where that address lives (a network
 * namespace). The caller owns the process.
 */
public final class NetworkPostgres {
    private NetworkPostgres() {
    }

    /** The cluster's password, its data directory and the command that serves it on {@code address:port}. */
    public record Cluster(Path dataDir, String user, String password, List<String> command) {
        @Override
        public String toString() {
            return "Cluster[" + dataDir + "]";
        }
    }

    /** Initialises (start + stop of an {@link EmbeddedDatabase}) a cluster under {@code dir} and returns how to serve it. */
    public static Cluster prepare(Path dir, String address, int port) throws IOException {
        Path data = dir.resolve("pg");
        String password;
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(data, port)) {
            password = pg.password();
        }
        Path socketDir = Files.createDirectories(dir.resolve("pg-socket"));
        Path postgres = PgBinaries.prepare(data.resolveSibling(data.getFileName() + "-bin")).executable("postgres");
        List<String> cmd = new ArrayList<>(List.of(postgres.toString(), "-D", data.toString()));
        for (String setting : List.of("listen_addresses=" + address, "port=" + port, "unix_socket_directories=" + socketDir,
                "unix_socket_permissions=0700", "password_encryption=scram-sha-256", "max_connections=200", "timezone=UTC",
                "fsync=off", "synchronous_commit=off", "full_page_writes=off")) {
            cmd.add("-c");
            cmd.add(setting);
        }
        return new Cluster(data, "postgres", password, List.copyOf(cmd));
    }
}
