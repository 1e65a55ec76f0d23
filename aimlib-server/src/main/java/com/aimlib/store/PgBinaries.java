package com.aimlib.store;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The PostgreSQL binaries shipped on the classpath, unpacked under the data dir. Root runs them, so nobody
 * else may write there (the unpacker leaves its directory 0777). PostgreSQL will not run as root: when we are
 * root, {@code initdb} and {@code postgres} are wrapped to start in a user namespace where the same
 * (root-owned) files belong to an unprivileged uid. Only a user namespace: pids stay global, so the pid in
 * {@code postmaster.pid} is one this JVM can signal.
 */
final class PgBinaries {
    private static final String[] WRAPPED = {"initdb", "pg_ctl", "postgres"};
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path bin;

    private PgBinaries(Path bin) {
        this.bin = bin;
    }

    /** Unpacks (once) into {@code dir}, locks the tree down and wraps the binaries when running as root. */
    static PgBinaries prepare(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path home = unpack(DefaultPostgresBinaryResolver.INSTANCE, dir.toFile()).toPath();
        if (runningAsRoot()) {
            wrapForRoot(home.resolve("bin"));
        }
        lockDown(dir);
        return new PgBinaries(home.resolve("bin"));
    }

    Path executable(String name) {
        return bin.resolve(name);
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static File unpack(PgBinaryResolver resolver, File workingDir) throws IOException {
        try {
            Method prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
            prepare.setAccessible(true);
            return (File) prepare.invoke(null, resolver, workingDir);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot unpack the embedded PostgreSQL binaries", e);
        }
    }

    /** Directories 0755, files 0755 or 0644 by their owner's execute bit; symbolic links are left alone. */
    private static void lockDown(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, DIR);
                } else {
                    boolean exec = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
                    Files.setPosixFilePermissions(p, exec ? DIR : FILE);
                }
            }
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
            Files.setPosixFilePermissions(exe, DIR);
        }
    }
}
