package com.aimlib.topology;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of the topology, started inside a network namespace ({@code ip netns exec} execs it, so the
 * process's pid is the program's own); its output goes to {@code <dir>/<name>.log}.
 */
final class Role implements AutoCloseable {
    final String name;
    final String ns;
    final Process process;
    final Path log;

    private Role(String name, String ns, Process process, Path log) {
        this.name = name;
        this.ns = ns;
        this.process = process;
        this.log = log;
    }

    static Role start(String name, String ns, Path dir, List<String> command, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(command);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AIMLIB_"));
        pb.environment().putAll(env);
        // stdin stays a pipe: a role that reads it (the origin) ends with the test JVM.
        return new Role(name, ns, pb.start(), log);
    }

    /** A Java process of this build: {@code mainClass args…}, small heap, on the test's class path. */
    static List<String> java(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                // the product's logging (INFO), not the test class path's logback-test.xml (WARN)
                "-Dlogback.configurationFile=" + Role.class.getClassLoader().getResource("logback.xml"),
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    List<String> lines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException | java.io.UncheckedIOException e) {
            // a line cut in the middle of a multi-byte character: read it again next time
            return List.of();
        }
    }

    /** The last lines of its output, for a failure message. */
    String tail() {
        List<String> l = lines();
        return name + " (" + (process.isAlive() ? "running" : "exit " + process.exitValue()) + "):\n  "
                + String.join("\n  ", l.subList(Math.max(0, l.size() - 30), l.size()));
    }

    /** Waits until a line starting with {@code prefix} appears; fails with the output when the process dies first. */
    String awaitLine(String prefix, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            for (String line : lines()) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            if (!process.isAlive() || System.nanoTime() > end) {
                throw new AssertionError("no '" + prefix + "' from " + tail());
            }
            Thread.sleep(100);
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    int awaitExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + within + ": " + tail());
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no deregistration. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
