package com.aimlib.testing;

import com.aimlib.store.Database;
import com.aimlib.store.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL per test JVM; every call to {@link #fresh()} creates a new, migrated,
 * empty database in it, so test classes never see each other's rows.
 */
public final class TestDatabases {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedDatabase server;

    private TestDatabases() {
    }

    /** The server itself (tests of its own lockdown). */
    public static synchronized EmbeddedDatabase server() {
        if (server == null) {
            try {
                Path dir = Files.createTempDirectory("aimlib-test-pg");
                EmbeddedDatabase started = EmbeddedDatabase.start(dir.resolve("data"), 0);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (IOException ignored) {
                        // the JVM is exiting; nothing more to do
                    }
                    // Each test JVM's cluster takes hundreds of MB: left behind, a day of runs fills the disk.
                    try (var walk = Files.walk(dir)) {
                        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    } catch (IOException | UncheckedIOException ignored) {
                        // best effort
                    }
                }, "test-postgres-stop"));
                server = started;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return server;
    }

    /** A new empty database with the schema applied. Close it when the test class is done. */
    public static Database fresh() {
        EmbeddedDatabase pg = server();
        String name = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return Database.open(pg.jdbcUrl(name), pg.user(), pg.password(), 8, null);
    }
}
