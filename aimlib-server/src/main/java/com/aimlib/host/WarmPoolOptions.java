package com.aimlib.host;

import picocli.CommandLine.Option;

/** The warm pool's command-line options, shared by {@code aimlib host} and {@code aimlib standalone}. */
public final class WarmPoolOptions {
    @Option(names = "--warm-browsers", description = "Warm pool floor: browsers with the region's default profile always launched ahead "
            + "of demand, each used by one session only (default ${DEFAULT-VALUE})",
            defaultValue = "1")
    int warmBrowsers;

    @Option(names = "--warm-browsers-max", description = "Warm pool ceiling: the pool grows with the recent create rate "
            + "(rate x launch time, per launch setting) up to this many (default ${DEFAULT-VALUE}; equal to --warm-browsers: a fixed pool)",
            defaultValue = "" + WarmPoolSettings.SHIPPED_CEILING)
    int warmBrowsersMax;

    @Option(names = "--browser-memory-mb", description = "Memory budget of this host's browsers, live and warm (PSS); "
            + "the pool never grows past it (default 0: half of the machine's memory)", defaultValue = "0")
    long browserMemoryMb;

    /** The floor: {@code HostSettings.withWarmPool}. */
    public int floor() {
        return warmBrowsers;
    }

    public WarmPoolSettings settings() {
        return WarmPoolSettings.of(warmBrowsers, warmBrowsersMax, browserMemoryMb);
    }
}
