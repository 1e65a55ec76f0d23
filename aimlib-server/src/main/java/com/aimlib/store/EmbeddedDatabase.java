package com.aimlib.store;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries on the classpath, with a data directory that survives
 * restarts. PostgreSQL refuses to run as root, so when we are root its binaries are wrapped to start
 * inside a user namespace where the same (root-owned) files belong to an unprivileged uid.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final String[] WRAPPED = {"initdb", "pg_ctl", "postgres"};

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts (initialising on first use) a server whose data lives in {@code dataDir}; {@link #close()} stops it. */
    public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        Files.createDirectories(dataDir);
        Path binaries = dataDir.resolveSibling(dataDir.getFileName() + "-bin");
        Files.createDirectories(binaries);
        PgBinaryResolver resolver = DefaultPostgresBinaryResolver.INSTANCE;
        if (runningAsRoot()) {
            wrapForRoot(prepareBinaries(resolver, binaries.toFile()).toPath().resolve("bin"));
        }
        removeStalePidFile(dataDir);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setOverrideWorkingDirectory(binaries.toFile())
                .setPgBinaryResolver(resolver)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("max_connections", "200")
                .setServerConfig("fsync", "on")
                // Stopped by close(), by whoever owns it: a JVM hook of its own would run concurrently with the
                // server's graceful shutdown and pull the database away before the last usage is written.
                .setRegisterShutdownHook(false);
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres pg = builder.start();
        log.info("embedded postgres started port={} data={}", pg.getPort(), dataDir);
        return new EmbeddedDatabase(pg);
    }

    public String jdbcUrl(String database) {
        return postgres.getJdbcUrl("postgres", database);
    }

    public String user() {
        return "postgres";
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** A crash (kill -9) leaves postmaster.pid behind; postgres refuses to start while it names a live process. */
    private static void removeStalePidFile(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
        boolean alive = !first.isEmpty() && ProcessHandle.of(Long.parseLong(first)).map(ProcessHandle::isAlive).orElse(false);
        if (!alive) {
            Files.delete(pidFile);
        }
    }

    private static File prepareBinaries(PgBinaryResolver resolver, File workingDir) throws IOException {
        try {
            Method prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
            prepare.setAccessible(true);
            return (File) prepare.invoke(null, resolver, workingDir);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot unpack the embedded PostgreSQL binaries", e);
        }
    }

    private static void wrapForRoot(Path bin) throws IOException {
        for (String name : WRAPPED) {
            Path real = bin.resolve(name + ".real");
            Path exe = bin.resolve(name);
            if (Files.exists(real)) {
                continue;
            }
            Files.move(exe, real);
            String script = """
                    #!/bin/sh
                    # PostgreSQL will not run as root: map root to an unprivileged uid in a user namespace.
                    if [ "$(id -u)" = 0 ]; then
                      exec unshare --user --map-user=1000 --map-group=1000 "$0.real" "$@"
                    fi
                    exec "$0.real" "$@"
                    """;
            Files.writeString(exe, script);
            Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
