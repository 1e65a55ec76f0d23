package com.aimlib.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The embedded PostgreSQL's lockdown: a generated scram password for every login, a Unix socket only, synchronous commit. */
class EmbeddedDatabaseTest {

    @Test
    void everyLoginNeedsTheGeneratedPasswordAndATrustClusterIsMigrated() throws Exception {
        Path dir = Files.createTempDirectory("aimlib-pg-lockdown");
        Path data = dir.resolve("pg");
        String first;
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(data, 0)) {
            first = pg.password();
            assertThat(first).hasSizeGreaterThanOrEqualTo(32);
            assertThat(pg.passwordFile()).isEqualTo(dir.resolve("pg-password"));
            assertThat(Files.getPosixFilePermissions(pg.passwordFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(dir.resolve("pg-run"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(pg.toString()).doesNotContain(first);
            assertThat(pg.jdbcUrl("postgres")).doesNotContain(first);
            assertRefused(pg, null);
            assertRefused(pg, "");
            assertRefused(pg, first + "x");
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
                 Statement s = c.createStatement()) {
                assertThat(one(s, "SHOW synchronous_commit")).isEqualTo("on");
                assertThat(one(s, "SHOW fsync")).isEqualTo("on");
                assertThat(one(s, "SHOW listen_addresses")).isEmpty();
                assertThat(one(s, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'scram-sha-256'")).isEqualTo("0");
                assertThat(one(s, "SELECT count(*) FROM pg_hba_file_rules")).isEqualTo("3");
                assertThat(one(s, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")).isEqualTo("t");
            }
        }
        assertThat(Files.readAllLines(data.resolve("pg_hba.conf"))).noneMatch(l -> !l.startsWith("#") && l.contains("trust"));
        try (Stream<Path> bin = Files.walk(dir.resolve("pg-bin"))) {
            assertThat(bin.filter(p -> !Files.isSymbolicLink(p)).toList())
                    .as("nothing root runs is writable by others")
                    .allSatisfy(p -> assertThat(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))
                            .doesNotContain(PosixFilePermission.OTHERS_WRITE, PosixFilePermission.GROUP_WRITE));
        }

        // A data dir of an earlier version: trust in pg_hba.conf, no password set, no password file.
        Files.writeString(data.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
        Files.delete(data.resolve("aimlib-password.sha256"));
        Files.delete(dir.resolve("pg-password"));
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(data, 0)) {
            assertThat(pg.password()).isNotEqualTo(first);
            assertRefused(pg, null);
            assertRefused(pg, first);
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password())) {
                assertThat(c.isValid(2)).isTrue();
            }
        }
        assertThat(Files.readAllLines(data.resolve("pg_hba.conf"))).noneMatch(l -> !l.startsWith("#") && l.contains("trust"));
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void assertRefused(EmbeddedDatabase pg, String password) {
        assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), password).close())
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("28P01", "28000", "08004"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(pg.password()));
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
