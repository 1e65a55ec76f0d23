package com.aimlib.host;

import java.nio.file.Path;
import java.util.List;

/** Test access to the host's process lookup: live processes whose command line names a path under {@code dir}. */
public final class BrowserHostProbe {
    private BrowserHostProbe() {
    }

    public static List<ProcessHandle> browsersUnder(Path dir) {
        return ProcessTree.withArgument(dir.toString() + "/").stream().filter(ProcessHandle::isAlive).toList();
    }
}
