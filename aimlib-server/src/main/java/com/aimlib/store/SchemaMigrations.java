package com.aimlib.store;

import com.aimlib.StartupFailure;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The schema's Flyway migrations: applied once by {@code aimlib migrate} (a Kubernetes Job) or by a role that
 * migrates on start, and only checked by a gateway started with {@code --no-migrate}, so replicas starting
 * together never race to migrate and a role never runs DDL under a database user that should not have it.
 */
public final class SchemaMigrations {
    static final String LOCATION = "classpath:db/migration";

    private SchemaMigrations() {
    }

    /** What one run did: the version before and after, and how many migrations it applied (0: already current). */
    public record Outcome(String before, String after, int applied) {
    }

    private static Flyway flyway(DataSource ds) {
        return Flyway.configure().dataSource(ds).locations(LOCATION).load();
    }

    /** Applies every pending migration; a failure is one line naming the migration and the cause. */
    public static Outcome migrate(DataSource ds, String where) {
        requireReachable(ds, where);
        try {
            MigrateResult r = flyway(ds).migrate();
            String before = r.initialSchemaVersion == null ? "none" : r.initialSchemaVersion;
            String after = r.targetSchemaVersion == null ? before : r.targetSchemaVersion;
            return new Outcome(before, after, r.migrationsExecuted);
        } catch (FlywayException e) {
            throw new StartupFailure("migrating the schema at " + where + " failed: " + firstLine(e.getMessage()));
        }
    }

    /**
     * Stops the start with one line when this build's migrations are not all applied to the database. A
     * database that is ahead of this build (a newer release already migrated it) is accepted: rolling upgrades
     * run the new migrations before the new replicas, and the old ones keep running meanwhile.
     */
    public static void requireCurrent(DataSource ds, String where) {
        requireReachable(ds, where);
        MigrationInfoService info;
        try {
            info = flyway(ds).info();
        } catch (FlywayException e) {
            throw new StartupFailure("cannot read the schema version at " + where + ": " + firstLine(e.getMessage()));
        }
        MigrationInfo[] pending = info.pending();
        for (MigrationInfo m : info.applied()) {
            if (m.getState().isFailed()) {
                throw new StartupFailure("the schema at " + where + " has a failed migration " + m.getVersion()
                        + " (" + m.getDescription() + "): repair it, then run 'aimlib migrate'");
            }
        }
        if (pending.length > 0) {
            MigrationInfo current = info.current();
            String have = current == null || current.getVersion() == null ? "no schema" : "schema version " + current.getVersion();
            String need = pending[pending.length - 1].getVersion().toString();
            throw new StartupFailure("the database at " + where + " has " + have + ", this build needs version " + need
                    + " (" + pending.length + " pending migration" + (pending.length == 1 ? "" : "s")
                    + "): run 'aimlib migrate --db-url ...' first, or let this process migrate (no --no-migrate, AIMLIB_MIGRATE unset)");
        }
    }

    private static void requireReachable(DataSource ds, String where) {
        try (Connection c = ds.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new StartupFailure("cannot reach the database at " + where + " (" + firstLine(e.getMessage())
                    + "): start it or fix --db-url/--db-user/--db-password (env AIMLIB_DB_URL, AIMLIB_DB_USER, AIMLIB_DB_PASSWORD)");
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        String trimmed = message.strip();
        int nl = trimmed.indexOf('\n');
        return nl < 0 ? trimmed : trimmed.substring(0, nl).strip();
    }
}
