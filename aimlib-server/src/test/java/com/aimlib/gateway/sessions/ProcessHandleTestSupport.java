package com.aimlib.gateway.sessions;

import java.nio.file.Path;
import java.util.List;

/** Finds browser processes by their user-data-dir, to prove none is left behind. */
final class ProcessHandleTestSupport {
    private ProcessHandleTestSupport() {
    }

    static List<ProcessHandle> browsersUnder(Path dir) {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false))
                .toList();
    }
}
