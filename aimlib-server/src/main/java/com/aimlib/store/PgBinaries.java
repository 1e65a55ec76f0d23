package com.aimlib.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.charset.StandardCharsets;
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
    private static final String MARK = ".unpacked-from";
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path bin;

    private PgBinaries(Path bin) {
        this.bin = bin;
    }

    /** Unpacks (once) into {@code dir}, locks the tree down and wraps the binaries when running as root. */
    static PgBinaries prepare(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path home = unpacked(dir);
        if (home == null) {
            home = unpack(PgBinaries::firstArchiveOnClasspath, dir.toFile()).toPath();
            remember(dir, home);
        }
        if (runningAsRoot()) {
            wrapForRoot(home.resolve("bin"));
        }
        lockDown(dir);
        return new PgBinaries(home.resolve("bin"));
    }

    /**
     * The directory an earlier start unpacked this same archive into (same jar, so same version), or null. The
     * unpacker itself names its directory by a digest of the 15 MB archive, which costs a start 1-2 s on a busy
     * machine: a restart after a crash should not wait for it.
     */
    private static Path unpacked(Path dir) throws IOException {
        Path mark = dir.resolve(MARK);
        String source = archive();
        if (source == null || !Files.exists(mark)) {
            return null;
        }
        String[] lines = Files.readString(mark, StandardCharsets.UTF_8).split("\n");
        Path home = lines.length == 2 && lines[0].equals(source) ? dir.resolve(lines[1]) : null;
        return home != null && Files.isRegularFile(home.resolve(".exists")) && Files.isDirectory(home.resolve("bin")) ? home : null;
    }

    private static void remember(Path dir, Path home) throws IOException {
        String source = archive();
        if (source != null) {
            Files.writeString(dir.resolve(MARK), source + "\n" + dir.relativize(home) + "\n", StandardCharsets.UTF_8);
        }
    }

    /** Where the archive of this platform comes from (its jar names the version), or null when unknown. */
    private static String archive() {
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        URL url = PgBinaries.class.getClassLoader().getResource("postgres-linux-" + arch + ".txz");
        return url == null ? null : url.toString();
    }

    /**
     * The archive of this platform, wherever the classpath has it first. Zonky's own resolver refuses a classpath
     * that lists the binaries jar twice, as a test classpath does that holds both the jar and the distribution
     * jar whose manifest points at its copy in {@code lib/}.
     */
    private static InputStream firstArchiveOnClasspath(String system, String machineHardware) throws IOException {
        String name = "postgres-" + system.toLowerCase(java.util.Locale.ROOT) + "-" + machineHardware.toLowerCase(java.util.Locale.ROOT) + ".txz";
        URL url = PgBinaries.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IOException("no embedded PostgreSQL binaries for " + system + "/" + machineHardware + " on the classpath (" + name + ")");
        }
        return url.openStream();
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
