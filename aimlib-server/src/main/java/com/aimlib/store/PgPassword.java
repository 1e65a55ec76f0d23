package com.aimlib.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The embedded superuser's generated password, in a file only its owner can read, and the
 * {@code pg_hba.conf} that demands it (scram-sha-256) of every connection, local or TCP: whoever reaches the
 * socket or a port of the server still needs the file. {@link #toString()} never shows the password.
 */
final class PgPassword {
    static final int LENGTH = 48;
    static final String HBA = """
            # Written by aimlib at every start: every connection needs the generated password (scram-sha-256).
            # TYPE  DATABASE  USER  ADDRESS        METHOD
            local   all       all                  scram-sha-256
            host    all       all   0.0.0.0/0      scram-sha-256
            host    all       all   ::/0           scram-sha-256
            """;

    private final Path file;
    private final String value;

    private PgPassword(Path file, String value) {
        this.file = file;
        this.value = value;
    }

    /** The password in {@code file}, generated and written (mode 0600) on first use. */
    static PgPassword loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            String value = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (value.length() >= 32) {
                return new PgPassword(file, value);
            }
        }
        String value = Secrets.randomAlphanumeric(LENGTH);
        Path tmp = Files.createTempFile(file.getParent(), ".pg-password", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, value + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return new PgPassword(file, value);
    }

    /** Replaces the data dir's pg_hba.conf: no trust line survives from a cluster an earlier version made. */
    static void writeHba(Path dataDir) throws IOException {
        Files.writeString(dataDir.resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
    }

    Path file() {
        return file;
    }

    String value() {
        return value;
    }

    /** Alphanumeric by construction: safe inside a SQL string literal. */
    String sqlLiteral() {
        if (!value.chars().allMatch(Character::isLetterOrDigit)) {
            throw new IllegalStateException("the password in " + file + " is not alphanumeric; delete it to have a new one generated");
        }
        return "'" + value + "'";
    }

    @Override
    public String toString() {
        return "PgPassword[" + file + "]";
    }
}
