package com.aimlib.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Killing a browser for good: its process group, its descendants, and its user-data-dir. */
final class ProcessTree {
    private ProcessTree() {
    }

    /** SIGKILLs the process group led by {@code pid} (browsers are started as session leaders), then every descendant. */
    static void kill(ProcessHandle root) {
        List<ProcessHandle> tree = root.descendants().toList();
        killGroup(root.pid());
        root.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    static void killGroup(long pgid) {
        try {
            new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            // kill(1) missing: the descendants walk still runs.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sets the nice value of every thread of {@code root} and all its descendants (renice(1) on each thread id from
     * /proc/<pid>/task: on Linux a nice value belongs to a thread, and Chromium's DevTools and IO threads are not its
     * main thread; lowering it needs root, as the host runs).
     */
    static void renice(ProcessHandle root, int niceness) {
        List<String> cmd = new java.util.ArrayList<>(List.of("renice", "-n", Integer.toString(niceness), "-p"));
        List<ProcessHandle> all = new java.util.ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        for (ProcessHandle p : all) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                tasks.forEach(t -> cmd.add(t.getFileName().toString()));
            } catch (IOException | RuntimeException e) {
                cmd.add(Long.toString(p.pid())); // gone, or no /proc: the process itself
            }
        }
        try {
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            // renice(1) missing: the browser keeps the launch's lower priority.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** PSS of {@code root} and all its descendants in bytes (see {@link ProcessMemory}). */
    static long pss(ProcessHandle root) {
        return ProcessMemory.treePss(root.pid());
    }

    /** Processes whose command line mentions {@code needle} (a user-data-dir under this host's work dir). */
    static List<ProcessHandle> withArgument(String needle) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().commandLine().map(c -> c.contains(needle)).orElse(false))
                .toList();
    }

    /** The process group of {@code pid} from /proc, or -1. */
    static long groupOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // A browser still writing; the next sweep of the work dir gets it.
                }
            });
        } catch (IOException ignored) {
            // Gone already.
        }
    }
}
