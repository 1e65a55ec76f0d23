package com.aimlib.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a browser host keeps browsers launched ahead of demand (docs/browser.md, "Warm pool").
 *
 * <ul>
 *   <li>{@code floor}: browsers with the region's default profile that are always kept warm.</li>
 *   <li>{@code ceiling}: at most this many warm browsers in all, whatever the demand.</li>
 *   <li>{@code demandSized}: when on, each launch setting (the process-wide flags a profile implies) that was asked for
 *       in the last {@code window} is kept warm to {@code ceil(rate × (launch time + headroom))}, the rate being its
 *       creates per second over the window and the launch time the host's measured one; off, the pool is exactly
 *       {@code floor} default browsers (what tests that count processes want).</li>
 *   <li>{@code memoryBudgetBytes}: what this host's browsers (live sessions and warm ones) may take together, counted
 *       as the measured PSS of a browser's process tree; the pool never grows past it.</li>
 *   <li>{@code concurrentLaunches}: warm launches at a time (the CPU budget). Warm launches run at {@code nice 10}
 *       and only while no session is booting (or after {@code maxDefer} of deferral), so they never compete with a
 *       live session's boot on the same cores.</li>
 *   <li>{@code urgentRefill}: a setting whose pool holds fewer warm browsers than the creates expected within one launch
 *       time gets its next launch, and its launches in flight, at nice 0 (docs/browser.md, "Warm pool").</li>
 * </ul>
 */
public record WarmPoolSettings(int floor, int ceiling, boolean demandSized, Duration window, Duration headroom,
                               long memoryBudgetBytes, int concurrentLaunches, Duration maxDefer, int niceness,
                               boolean urgentRefill) {

    public WarmPoolSettings {
        if (floor < 0 || ceiling < floor) {
            throw new IllegalArgumentException("warm pool: need 0 <= floor <= ceiling");
        }
        if (concurrentLaunches < 1) {
            throw new IllegalArgumentException("warm pool: concurrent launches must be >= 1");
        }
    }

    /**
     * The shipped ceiling. Tried 8 with one more warm browser per recent miss: on this 2-core machine the pool then
     * launched up to 7 browsers at once under load, the load average went to ~57 and the median start doubled
     * (docs/benchmarks.md, "Session start"); 6 keeps the refill within what the cores can launch.
     */
    public static final int SHIPPED_CEILING = 6;

    /** Exactly {@code n} warm browsers with the region's default profile, no demand sizing. */
    public static WarmPoolSettings fixed(int n) {
        return new WarmPoolSettings(n, n, false, Duration.ofSeconds(30), Duration.ofSeconds(1), defaultBudget(),
                defaultLaunches(), Duration.ofSeconds(1), 10, true);
    }

    /**
     * What {@code aimlib standalone} and {@code aimlib host} ship with: floor 1, ceiling {@value #SHIPPED_CEILING}, demand-sized over 30 s,
     * half of the machine's memory for browsers, as many warm launches at a time as the machine has cores.
     */
    public static WarmPoolSettings defaults() {
        return demand(1, SHIPPED_CEILING, defaultBudget());
    }

    /** From the command line: floor, ceiling (equal: a fixed pool), budget in MiB (0: half of the machine's memory). */
    public static WarmPoolSettings of(int floor, int ceiling, long memoryMb) {
        if (floor < 0 || ceiling < floor) {
            throw new com.aimlib.StartupFailure("--warm-browsers-max must be >= --warm-browsers >= 0");
        }
        long budget = memoryMb > 0 ? memoryMb << 20 : defaultBudget();
        return ceiling == floor ? fixed(floor).withMemoryBudget(budget) : demand(floor, ceiling, budget);
    }

    /**
     * The shipped headroom: 2 s of creates beyond one launch time. With 1 s, 300 paced creates on this machine missed
     * twice (a refill that stalled for a second left the setting's pool empty); since a launch costs half the CPU it
     * did (host/BrowserHost.DISABLED_FEATURES), one more idle warm browser (~160 MiB) is the cheaper side.
     */
    public static final Duration SHIPPED_HEADROOM = Duration.ofSeconds(2);

    public static WarmPoolSettings demand(int floor, int ceiling, long memoryBudgetBytes) {
        return new WarmPoolSettings(floor, ceiling, true, Duration.ofSeconds(30), SHIPPED_HEADROOM, memoryBudgetBytes,
                defaultLaunches(), Duration.ofSeconds(1), 10, true);
    }

    public WarmPoolSettings withHeadroom(Duration h) {
        return new WarmPoolSettings(floor, ceiling, demandSized, window, h, memoryBudgetBytes, concurrentLaunches, maxDefer, niceness, urgentRefill);
    }

    public WarmPoolSettings withWindow(Duration w) {
        return new WarmPoolSettings(floor, ceiling, demandSized, w, headroom, memoryBudgetBytes, concurrentLaunches, maxDefer, niceness, urgentRefill);
    }

    public WarmPoolSettings withMemoryBudget(long bytes) {
        return new WarmPoolSettings(floor, ceiling, demandSized, window, headroom, bytes, concurrentLaunches, maxDefer, niceness, urgentRefill);
    }

    /** Without urgent refills: every warm launch at {@code niceness}, whatever the pool holds (the bench's before/after). */
    public WarmPoolSettings withoutUrgentRefill() {
        return new WarmPoolSettings(floor, ceiling, demandSized, window, headroom, memoryBudgetBytes, concurrentLaunches, maxDefer, niceness, false);
    }

    static int defaultLaunches() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Half of MemTotal (4 GiB when /proc/meminfo cannot be read). */
    static long defaultBudget() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 2;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 4L << 30;
    }
}
