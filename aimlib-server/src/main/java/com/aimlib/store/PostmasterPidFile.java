package com.aimlib.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code postmaster.pid} of one data dir: whether the server it names is up, and stopping a server that a
 * killed JVM left behind. A process is only ever signalled when it is a postgres whose working directory is
 * this data dir (postgres chdirs there), never by its name alone.
 */
final class PostmasterPidFile {
    private static final Logger log = LoggerFactory.getLogger(PostmasterPidFile.class);
    private static final int STATUS_LINE = 7;

    private final Path dataDir;
    private final Path file;

    PostmasterPidFile(Path dataDir) {
        this.dataDir = dataDir;
        this.file = dataDir.resolve("postmaster.pid");
    }

    /** True when the file names {@code pid} and says it accepts connections. */
    boolean ready(long pid) {
        List<String> lines = lines();
        return lines.size() > STATUS_LINE && parsePid(lines.get(0)) == pid && "ready".equals(lines.get(STATUS_LINE).trim());
    }

    /**
     * Stops the postgres of this data dir that an earlier run left running (SIGINT, then SIGQUIT, then SIGKILL
     * of it and its children), and removes a pid file that names no such process, so the server can start.
     */
    void clearLeftover() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        long pid = lines().isEmpty() ? -1 : parsePid(lines().get(0));
        Optional<ProcessHandle> left = pid > 0 ? ProcessHandle.of(pid).filter(PostmasterPidFile::running) : Optional.empty();
        if (left.isPresent() && isOurPostgres(pid)) {
            ProcessHandle p = left.get();
            log.warn("stopping postgres left running by an earlier run pid={} data={}", pid, dataDir);
            long t0 = System.nanoTime();
            List<ProcessHandle> children = p.descendants().toList();
            if (!stop(p, "INT", 10) && !stop(p, "QUIT", 5)) {
                p.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                await(p, 5);
            }
            // Shared memory still attached by a child keeps the next postmaster from starting.
            for (ProcessHandle c : children) {
                await(c, 5);
            }
            if (running(p)) {
                throw new IOException("postgres pid=" + pid + " of " + dataDir + " does not stop");
            }
            log.warn("stopped postgres left running by an earlier run pid={} took_ms={}", pid, (System.nanoTime() - t0) / 1_000_000);
        }
        Files.deleteIfExists(file);
    }

    /** A live postgres whose working directory is this data dir: the server of this data dir and no other. */
    private boolean isOurPostgres(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String argv0 = Files.readString(proc.resolve("cmdline"), StandardCharsets.UTF_8).split("\0", 2)[0];
            Path program = Path.of(argv0).getFileName();
            boolean postgres = program != null && (program.toString().equals("postgres") || program.toString().equals("postgres.real"));
            return postgres && Files.readSymbolicLink(proc.resolve("cwd")).equals(dataDir.toRealPath());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean stop(ProcessHandle p, String signal, int seconds) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return await(p, seconds);
    }

    /**
     * Waits until {@code p} has ended. Polled through /proc rather than {@link ProcessHandle#onExit()}: the
     * server a dead JVM left behind is no child of ours, and where PID 1 does not reap orphans it stays a
     * zombie, which {@link ProcessHandle#isAlive()} reports as alive.
     */
    private static boolean await(ProcessHandle p, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (running(p)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !running(p);
            }
        }
        return true;
    }

    /** Alive and not a zombie. */
    static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private List<String> lines() {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Single-user mode writes its pid negated. */
    private static long parsePid(String line) {
        try {
            return Math.abs(Long.parseLong(line.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
