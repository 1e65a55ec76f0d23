package com.aimlib.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory of a process tree as the kernel accounts it: the sum of {@code Pss} from {@code /proc/<pid>/smaps_rollup}
 * of the process and every descendant. PSS splits each shared page between the processes that map it, so summing
 * it over several browsers' trees never counts a page twice (RSS would).
 */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** PSS of {@code pid} and its descendants, bytes; processes that vanished meanwhile count 0. */
    public static long treePss(long pid) {
        ProcessHandle root = ProcessHandle.of(pid).orElse(null);
        if (root == null) {
            return 0;
        }
        long total = pss(pid);
        for (ProcessHandle d : root.descendants().toList()) {
            total += pss(d.pid());
        }
        return total;
    }

    /** PSS of one process, bytes (0 if it is gone or unreadable). */
    public static long pss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }
}
