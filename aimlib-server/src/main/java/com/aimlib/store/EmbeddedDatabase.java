package com.aimlib.store;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries on the classpath, with a data directory that survives
 * restarts and crashes. It listens on a Unix socket only, in a directory only its owner can enter
 * ({@code <data>-run}), and every login needs the generated password in {@code <data>-password}; nothing a
 * customer's traffic can reach on loopback leads to it. Commits are synchronous by default: a write
 * acknowledged to a client survives a power loss. A server that a killed JVM left running is stopped at the
 * next start (see {@link PostmasterPidFile}).
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Set<String> SYNCHRONOUS_COMMIT = Set.of("on", "off", "local", "remote_write", "remote_apply");
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final int DEFAULT_PORT = 5432;
    /** sun_path holds 108 bytes; the socket file's name adds 16. */
    private static final int MAX_SOCKET_DIR = 90;
    private static final String PASSWORD_MARK = "aimlib-password.sha256";

    private final Process postmaster;
    private final Path dataDir;
    private final Path socketDir;
    private final int port;
    private final PgPassword password;

    private EmbeddedDatabase(Process postmaster, Path dataDir, Path socketDir, int port, PgPassword password) {
        this.postmaster = postmaster;
        this.dataDir = dataDir;
        this.socketDir = socketDir;
        this.port = port;
        this.password = password;
    }

    /** {@link #start(Path, int, String)} committing synchronously. */
    public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        return start(dataDir, port, "on");
    }

    /**
     * Starts (initialising on first use) a server whose data lives in {@code dataDir}; {@link #close()} stops it.
     * {@code port} only names the socket file ({@code .s.PGSQL.<port>}); {@code synchronousCommit} is
     * PostgreSQL's setting of that name ({@code off} only for measuring what {@code on} costs).
     */
    public static EmbeddedDatabase start(Path dataDir, int port, String synchronousCommit) throws IOException {
        if (!SYNCHRONOUS_COMMIT.contains(synchronousCommit)) {
            throw new IllegalArgumentException("synchronous_commit must be one of " + SYNCHRONOUS_COMMIT + ": " + synchronousCommit);
        }
        dataDir = dataDir.toAbsolutePath().normalize();
        int socketPort = port > 0 ? port : DEFAULT_PORT;
        Files.createDirectories(dataDir.getParent());
        PgBinaries binaries = PgBinaries.prepare(sibling(dataDir, "-bin"));
        PgPassword password = PgPassword.loadOrCreate(sibling(dataDir, "-password"));
        Path socketDir = privateDir(sibling(dataDir, "-run"));

        new PostmasterPidFile(dataDir).clearLeftover();
        removeStaleSocketLocks(socketDir);
        if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
            initdb(binaries, dataDir, password);
        } else if (!passwordMarked(dataDir, password)) {
            setPassword(binaries, dataDir, password);
        }
        PgPassword.writeHba(dataDir);

        List<String> cmd = new ArrayList<>(List.of(binaries.executable("postgres").toString(), "-D", dataDir.toString()));
        for (String setting : List.of(
                "listen_addresses=",
                "unix_socket_directories=" + socketDir,
                "unix_socket_permissions=0700",
                "port=" + socketPort,
                "password_encryption=scram-sha-256",
                "synchronous_commit=" + synchronousCommit,
                "fsync=on",
                "full_page_writes=on",
                // Crash recovery first makes the data dir durable; one syncfs(2) instead of an fsync per file took
                // the 2.3 s this cost a restart after a power loss on a busy machine down to ~0.2 s.
                "recovery_init_sync_method=syncfs",
                "max_connections=200",
                "timezone=UTC")) {
            cmd.add("-c");
            cmd.add(setting);
        }
        Path logFile = sibling(dataDir, ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        p.getOutputStream().close();
        awaitReady(p, dataDir, logFile);
        log.info("embedded postgres started pid={} socket={} synchronous_commit={} data={}", p.pid(), socketDir, synchronousCommit, dataDir);
        return new EmbeddedDatabase(p, dataDir, socketDir, socketPort, password);
    }

    /** A pgjdbc URL over the Unix socket ({@link UnixSocketFactory}); it holds no credentials. */
    public String jdbcUrl(String database) {
        return jdbcUrl(socketDir, port, database);
    }

    /** The URL of a server listening in {@code socketDir} on {@code port} (the socket file's number). */
    public static String jdbcUrl(Path socketDir, int port, String database) {
        String socket = socketDir.resolve(".s.PGSQL." + port).toString();
        return "jdbc:postgresql://localhost:" + port + "/" + database + "?sslmode=disable"
                + "&socketFactory=" + UnixSocketFactory.class.getName()
                + "&socketFactoryArg=" + URLEncoder.encode(socket, StandardCharsets.UTF_8);
    }

    public String user() {
        return "postgres";
    }

    /** The superuser's password: pass it to the driver, never to a log line or a message. */
    public String password() {
        return password.value();
    }

    public Path passwordFile() {
        return password.file();
    }

    public int port() {
        return port;
    }

    /** The postmaster's process id. */
    public long pid() {
        return postmaster.pid();
    }

    @Override
    public void close() throws IOException {
        if (!postmaster.isAlive()) {
            return;
        }
        // Fast shutdown: open transactions roll back, a checkpoint is written, the server exits.
        signal(postmaster.pid(), "INT");
        try {
            if (!postmaster.waitFor(30, TimeUnit.SECONDS)) {
                signal(postmaster.pid(), "QUIT");
                if (!postmaster.waitFor(10, TimeUnit.SECONDS)) {
                    postmaster.destroyForcibly();
                    throw new IOException("postgres pid=" + postmaster.pid() + " did not stop; killed");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping postgres", e);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedDatabase[pid=" + postmaster.pid() + ", data=" + dataDir + "]";
    }

    private static void initdb(PgBinaries binaries, Path dataDir, PgPassword password) throws IOException {
        run(List.of(binaries.executable("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "-E", "UTF-8",
                "--auth=scram-sha-256", "--pwfile=" + password.file()), null, "initdb");
        markPassword(dataDir, password);
    }

    /**
     * Sets the password of a cluster made before it had one (an earlier version initialised it with trust) or
     * whose password file was deleted, in single-user mode: no server listens while it happens.
     */
    private static void setPassword(PgBinaries binaries, Path dataDir, PgPassword password) throws IOException {
        log.info("setting the embedded postgres password file={}", password.file());
        String sql = "ALTER ROLE postgres PASSWORD " + password.sqlLiteral() + ";\n";
        run(List.of(binaries.executable("postgres").toString(), "--single", "-D", dataDir.toString(),
                "-c", "password_encryption=scram-sha-256", "-c", "log_statement=none", "postgres"), sql, "postgres --single");
        markPassword(dataDir, password);
    }

    private static boolean passwordMarked(Path dataDir, PgPassword password) throws IOException {
        Path mark = dataDir.resolve(PASSWORD_MARK);
        return Files.exists(mark) && Files.readString(mark).trim().equals(HexFormat.of().formatHex(Secrets.hash(password.value())));
    }

    private static void markPassword(Path dataDir, PgPassword password) throws IOException {
        Files.writeString(dataDir.resolve(PASSWORD_MARK), HexFormat.of().formatHex(Secrets.hash(password.value())) + "\n");
    }

    /** Runs a tool to completion; its output goes into the exception only (it may echo the input). */
    private static void run(List<String> cmd, String input, String what) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(what + " failed: " + (input == null ? out : "exit " + p.exitValue()));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + " interrupted", e);
        }
    }

    private static void awaitReady(Process p, Path dataDir, Path logFile) throws IOException {
        PostmasterPidFile pidFile = new PostmasterPidFile(dataDir);
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!pidFile.ready(p.pid())) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("embedded postgres did not start (exit=" + (p.isAlive() ? "timeout" : p.exitValue()) + ")"
                        + lastFatal(logFile) + "; see " + logFile);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting postgres", e);
            }
        }
    }

    /**
     * After a kill -9 the socket's lock file ({@code .s.PGSQL.<port>.lock}) still names the dead postmaster.
     * PostgreSQL treats a pid that still exists as a live owner, and where PID 1 does not reap orphans the dead
     * postmaster stays a zombie, so the next start failed with "lock file … already exists". No server of this
     * data dir runs any more (cleared above) and the socket directory is ours alone: what is in it is stale.
     */
    private static void removeStaleSocketLocks(Path socketDir) throws IOException {
        try (var entries = Files.newDirectoryStream(socketDir, ".s.PGSQL.*")) {
            for (Path e : entries) {
                log.warn("removing stale postgres socket file {}", e.getFileName());
                Files.deleteIfExists(e);
            }
        }
    }

    /** PostgreSQL's own reason from the end of its log (": FATAL: …"), or nothing. */
    private static String lastFatal(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= Math.max(0, lines.size() - 50); i--) {
                String l = lines.get(i);
                if (l.contains("FATAL") || l.contains("PANIC")) {
                    return ": " + l.strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the log is only for the message
        }
        return "";
    }

    /** The socket directory, mode 0700; a short one under /tmp when the data dir's path is too long for a socket. */
    private static Path privateDir(Path preferred) throws IOException {
        var mode = PosixFilePermissions.fromString("rwx------");
        if (preferred.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_DIR) {
            return Files.createTempDirectory("aimlib-pg", PosixFilePermissions.asFileAttribute(mode));
        }
        Files.createDirectories(preferred);
        Files.setPosixFilePermissions(preferred, mode);
        return preferred;
    }

    private static Path sibling(Path dataDir, String suffix) {
        return dataDir.resolveSibling(dataDir.getFileName() + suffix);
    }

    private static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            log.warn("cannot signal postgres pid={} cause={}", pid, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
