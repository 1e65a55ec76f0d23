package com.aimlib.topology;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Linux network namespaces, bridges and veth pairs standing in for machines and their networks, all named with
 * {@link #PREFIX}: {@link #cleanAll()} removes every one of them (and kills every process inside), whether this run
 * or an earlier, aborted one made it. Needs root and iproute2's {@code ip}.
 */
final class Netns {
    /** Every namespace and link this test makes starts with this (interface names stay under 16 bytes). */
    static final String PREFIX = "atp-";

    private Netns() {
    }

    /** Why namespaces cannot be made here, or null when they can (root, {@code ip netns} works). */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the topology test makes Linux network namespaces (ip netns): it needs root, running as "
                    + System.getProperty("user.name");
        }
        String probe = PREFIX + "probe";
        try {
            Result add = run(List.of("ip", "netns", "add", probe));
            run(List.of("ip", "netns", "del", probe));
            return add.exit() == 0 ? null : "ip netns add failed: " + add.out();
        } catch (IOException e) {
            return "iproute2's ip is not usable: " + e.getMessage();
        }
    }

    record Result(int exit, String out) {
    }

    static Result run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + cmd);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + cmd, e);
        }
        return new Result(p.exitValue(), out.strip());
    }

    /** Runs {@code ip args…} and fails with its output when it fails. */
    static void ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Result r = run(cmd);
        if (r.exit() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.out());
        }
    }

    /** A bridge in the initial namespace with {@code cidr} (the test JVM's own address on that network). */
    static void bridge(String name, String cidr) throws IOException {
        ip("link", "add", name, "type", "bridge");
        ip("addr", "add", cidr, "dev", name);
        ip("link", "set", name, "up");
    }

    /** A new namespace with loopback up. */
    static void namespace(String ns) throws IOException {
        ip("netns", "add", ns);
        ip("-n", ns, "link", "set", "lo", "up");
    }

    /** A veth pair: {@code ifname} with {@code cidr} inside {@code ns}, the other end a port of {@code bridge}. */
    static void attach(String ns, String ifname, String bridge, String hostSide, String cidr) throws IOException {
        ip("link", "add", hostSide, "type", "veth", "peer", "name", ifname, "netns", ns);
        ip("link", "set", hostSide, "master", bridge);
        ip("link", "set", hostSide, "up");
        ip("-n", ns, "addr", "add", cidr, "dev", ifname);
        ip("-n", ns, "link", "set", ifname, "up");
    }

    /** The pids of every process in {@code ns}. */
    static List<Long> pids(String ns) throws IOException {
        Result r = run(List.of("ip", "netns", "pids", ns));
        List<Long> out = new ArrayList<>();
        if (r.exit() == 0) {
            for (String line : r.out().split("\\s+")) {
                if (line.matches("\\d+")) {
                    out.add(Long.parseLong(line));
                }
            }
        }
        return out;
    }

    /** SIGKILLs every process in {@code ns}, each by its pid, until none is left (a machine that dies). */
    static void killAll(String ns) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<Long> pids;
        while (!(pids = pids(ns)).isEmpty()) {
            if (System.nanoTime() > end) {
                throw new IOException("processes in " + ns + " survive SIGKILL: " + pids);
            }
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Thread.sleep(20);
        }
    }

    /** The namespaces and links named with {@link #PREFIX}. */
    static List<String> namespaces() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : run(List.of("ip", "netns", "list")).out().split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (name.startsWith(PREFIX)) {
                out.add(name);
            }
        }
        return out;
    }

    static List<String> links() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : run(List.of("ip", "-o", "link", "show")).out().split("\n")) {
            String[] parts = line.split(":\\s+", 3);
            if (parts.length >= 2) {
                String name = parts[1].split("@")[0].strip();
                if (name.startsWith(PREFIX)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /**
     * Kills every process in every {@link #PREFIX} namespace (SIGKILL, each by its pid, then waits until none is
     * left), deletes the namespaces (their veth ends go with them) and the bridges. Safe to call at any time.
     */
    static synchronized void cleanAll() {
        try {
            List<String> namespaces = namespaces();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (String ns : namespaces) {
                List<Long> pids;
                while (!(pids = pids(ns)).isEmpty() && System.nanoTime() < end) {
                    for (long pid : pids) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                    Thread.sleep(50);
                }
            }
            for (String ns : namespaces) {
                run(List.of("ip", "netns", "del", ns));
            }
            for (String link : links()) {
                run(List.of("ip", "link", "del", link));
            }
        } catch (IOException e) {
            System.err.println("topology clean-up failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
