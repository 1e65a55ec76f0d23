package com.aimlib.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.EmbeddedDatabase;
import com.aimlib.testing.Ports;
import com.aimlib.testing.TestDatabases;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * {@code aimlib migrate} and {@code aimlib gateway --no-migrate} as real processes against databases of the
 * embedded test PostgreSQL: the migration runs once (a second run is a no-op), a gateway that must not migrate
 * refuses an unmigrated database with one line and starts on a migrated one, and {@code AIMLIB_DB_POOL_SIZE}
 * bounds the connections a gateway holds.
 */
class MigrateCommandProcessTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** A new database with no schema at all. */
    static String emptyDatabase() throws Exception {
        EmbeddedDatabase pg = TestDatabases.server();
        String name = "m" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    static ProcessBuilder aimlib(Map<String, String> extraEnv, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "com.aimlib.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("AIMLIB_"));
        pb.environment().put("AIMLIB_LOG_LEVEL", "WARN");
        pb.environment().putAll(extraEnv);
        return pb;
    }

    static String[] db(String name, String... more) {
        EmbeddedDatabase pg = TestDatabases.server();
        List<String> args = new ArrayList<>(List.of("--db-url", pg.jdbcUrl(name), "--db-user", pg.user(), "--db-password", pg.password()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    record Run(int exit, List<String> out, List<String> err) {
    }

    static Run run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        p.getOutputStream().close();
        var errF = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("exits").isTrue();
        String err = errF.get(10, TimeUnit.SECONDS);
        assertThat(err).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
        return new Run(p.exitValue(), out.lines().filter(l -> !l.isBlank()).toList(),
                err.lines().filter(l -> !l.startsWith("WARNING: ") && !l.isBlank()).toList());
    }

    static String[] gatewayArgs(String dbName, int[] ports, Path data, String... more) {
        List<String> args = new ArrayList<>(List.of("gateway", "--port", String.valueOf(ports[0]), "--socks-port", String.valueOf(ports[1]),
                "--http-proxy-port", String.valueOf(ports[2]), "--tunnel-port", String.valueOf(ports[3]),
                "--data-dir", data.toString(), "--operator-key", "ak_op_" + "m".repeat(40)));
        args.addAll(List.of(db(dbName)));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** Starts a gateway and returns once it printed its up line (or fails with its output). */
    static Process awaitGatewayUp(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line; (line = out.readLine()) != null; ) {
            lines.add(line);
            if (line.startsWith("aimlib gateway is up")) {
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("gateway did not come up (exit " + p.waitFor() + "): " + lines);
    }

    static String latestVersion() {
        EmbeddedDatabase pg = TestDatabases.server();
        return Flyway.configure().dataSource(pg.jdbcUrl("postgres"), pg.user(), pg.password()).locations("classpath:db/migration")
                .load().info().all()[Flyway.configure().dataSource(pg.jdbcUrl("postgres"), pg.user(), pg.password())
                        .locations("classpath:db/migration").load().info().all().length - 1].getVersion().toString();
    }

    static int appliedMigrations(String dbName) throws Exception {
        EmbeddedDatabase pg = TestDatabases.server();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(dbName), pg.user(), pg.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void migrateAppliesTheSchemaOnceAndASecondRunIsANoOp() throws Exception {
        String name = emptyDatabase();
        String latest = latestVersion();

        Run first = run(aimlib(Map.of(), concat("migrate", db(name))));
        assertThat(first.exit()).as("%s", first).isZero();
        assertThat(first.out()).singleElement().asString()
                .startsWith("aimlib migrate: applied ").endsWith(", schema version none -> " + latest);
        int applied = appliedMigrations(name);
        assertThat(applied).isGreaterThanOrEqualTo(5);

        Run second = run(aimlib(Map.of(), concat("migrate", db(name))));
        assertThat(second.exit()).as("%s", second).isZero();
        assertThat(second.out()).containsExactly("aimlib migrate: schema already at version " + latest + ", nothing to do");
        assertThat(appliedMigrations(name)).as("nothing applied twice").isEqualTo(applied);
    }

    @Test
    void migrateAgainstAnUnreachableDatabaseIsOneLine() throws Exception {
        int closed = Ports.free(1)[0];
        Run r = run(aimlib(Map.of(), "migrate", "--db-url", "jdbc:postgresql://127.0.0.1:" + closed + "/aimlib?password=secret-in-url",
                "--db-user", "nobody", "--db-password", "hunter2-not-logged"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).singleElement().asString()
                .startsWith("aimlib migrate: cannot reach the database at jdbc:postgresql://127.0.0.1:" + closed + "/aimlib (")
                .contains("fix --db-url/--db-user/--db-password")
                .doesNotContain("secret-in-url").doesNotContain("hunter2-not-logged");
    }

    @Test
    void gatewayWithNoMigrateRefusesAnUnmigratedDatabaseWithOneLine() throws Exception {
        String name = emptyDatabase();
        String latest = latestVersion();
        Path data = Files.createTempDirectory("aimlib-nomigrate");
        String expected = "aimlib gateway: the database at " + where(name) + " has no schema, this build needs version "
                + latest + " (";

        Run flag = run(aimlib(Map.of(), gatewayArgs(name, Ports.free(4), data, "--no-migrate")));
        assertThat(flag.exit()).as("%s", flag).isEqualTo(1);
        assertThat(flag.err()).singleElement().asString().startsWith(expected).contains("run 'aimlib migrate --db-url ...' first");

        Run env = run(aimlib(Map.of("AIMLIB_MIGRATE", "false"), gatewayArgs(name, Ports.free(4), data)));
        assertThat(env.exit()).as("%s", env).isEqualTo(1);
        assertThat(env.err()).singleElement().asString().startsWith(expected);
        assertThat(appliedMigrations0(name)).as("the gateway created no schema").isFalse();

        // A partly migrated database (an older release's schema) is refused too, naming the version it has.
        EmbeddedDatabase pg = TestDatabases.server();
        Flyway.configure().dataSource(pg.jdbcUrl(name), pg.user(), pg.password()).locations("classpath:db/migration")
                .target("5").load().migrate();
        Run older = run(aimlib(Map.of(), gatewayArgs(name, Ports.free(4), data, "--no-migrate")));
        assertThat(older.exit()).isEqualTo(1);
        assertThat(older.err()).singleElement().asString()
                .startsWith("aimlib gateway: the database at " + where(name) + " has schema version 5, this build needs version " + latest);
    }

    private static boolean appliedMigrations0(String name) throws Exception {
        EmbeddedDatabase pg = TestDatabases.server();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(name), pg.user(), pg.password());
             ResultSet rs = c.getMetaData().getTables(null, null, "flyway_schema_history", null)) {
            return rs.next();
        }
    }

    @Test
    void gatewayWithNoMigrateStartsOnAMigratedDatabaseWithTheConfiguredPool() throws Exception {
        String name = emptyDatabase();
        assertThat(run(aimlib(Map.of(), concat("migrate", db(name)))).exit()).isZero();
        int before = appliedMigrations(name);
        int[] ports = Ports.free(4);
        Process gw = awaitGatewayUp(aimlib(Map.of("AIMLIB_DB_POOL_SIZE", "2"),
                gatewayArgs(name, ports, Files.createTempDirectory("aimlib-nomigrate-up"), "--no-migrate")));
        try {
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0] + "/admin/v1/customers"))
                        .header("Authorization", "Bearer ak_op_" + "m".repeat(40)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0] + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            // The default pool keeps 4 idle connections; AIMLIB_DB_POOL_SIZE=2 holds at most 2 however long we look.
            int most = 0;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3); System.nanoTime() < end; Thread.sleep(100)) {
                most = Math.max(most, connectionsTo(name));
            }
            assertThat(most).as("connections the gateway held").isBetween(1, 2);
        } finally {
            gw.destroy();
            assertThat(gw.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(appliedMigrations(name)).as("the gateway migrated nothing").isEqualTo(before);
    }

    @Test
    void aPoolSizeOutOfRangeIsRefused() throws Exception {
        Run r = run(aimlib(Map.of(), gatewayArgs(emptyDatabase(), Ports.free(4), Files.createTempDirectory("aimlib-pool"),
                "--db-pool-size", "0")));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).containsExactly("aimlib gateway: --db-pool-size (AIMLIB_DB_POOL_SIZE) must be between 1 and 1000, got 0");
    }

    /** The database's URL as failures name it: without the query, where a password could be. */
    static String where(String dbName) {
        String url = TestDatabases.server().jdbcUrl(dbName);
        return url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
    }

    @Test
    void migrateRunsOnTheEmbeddedDatabaseOfADataDirectoryToo() throws Exception {
        Path data = Files.createTempDirectory("aimlib-migrate-embedded");
        String latest = latestVersion();
        Run first = run(aimlib(Map.of(), "migrate", "--data-dir", data.toString()));
        assertThat(first.exit()).as("%s", first).isZero();
        assertThat(first.out()).singleElement().asString().endsWith(", schema version none -> " + latest);
        Run second = run(aimlib(Map.of("AIMLIB_DATA_DIR", data.toString()), "migrate"));
        assertThat(second.out()).containsExactly("aimlib migrate: schema already at version " + latest + ", nothing to do");
        assertThat(data.resolve("pg/postmaster.pid")).as("the embedded database stopped after the run").doesNotExist();
    }

    @Test
    void thePoolSizeFlagAndItsDefault() {
        MigrateCommand dflt = new MigrateCommand();
        new picocli.CommandLine(dflt).parseArgs("--db-url", "jdbc:postgresql://db:5432/aimlib");
        assertThat(dflt.database.settings().poolSize()).isEqualTo(System.getenv("AIMLIB_DB_POOL_SIZE") == null ? 16
                : Integer.parseInt(System.getenv("AIMLIB_DB_POOL_SIZE")));
        MigrateCommand five = new MigrateCommand();
        new picocli.CommandLine(five).parseArgs("--db-url", "jdbc:postgresql://db:5432/aimlib", "--db-pool-size", "5");
        assertThat(five.database.settings().poolSize()).isEqualTo(5);
        MigrateCommand embedded = new MigrateCommand();
        new picocli.CommandLine(embedded).parseArgs("--data-dir", "/tmp/x", "--db-pool-size", "3");
        assertThat(embedded.database.settings().isEmbedded()).isTrue();
        assertThat(embedded.database.settings().poolSize()).isEqualTo(3);
    }

    static int connectionsTo(String dbName) throws Exception {
        EmbeddedDatabase pg = TestDatabases.server();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + dbName + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static String[] concat(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
