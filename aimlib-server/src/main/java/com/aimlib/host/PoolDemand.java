package com.aimlib.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demand a host's warm pool follows: per launch setting (the flags key a profile implies), the creates of the
 * last window and a profile to launch it with; the host's measured launch time and browser size. {@link #plan}
 * turns them into how many warm browsers each setting should have. Thread-safe (synchronized; called a few times a
 * second at most). The rate of a setting is its creates in the window over the span they cover (at least 5 s).
 */
final class PoolDemand {
    /** One launch setting: its recent creates (nanoTime) and the latest profile that asked for it. */
    private static final class Setting {
        final ArrayDeque<Long> creates = new ArrayDeque<>();
        ObjectNode profile;
    }

    /** How many warm browsers a setting should have, and the profile to launch them with. */
    record Target(String key, ObjectNode profile, int count, double ratePerSecond) {
    }

    private static final double MIN_SPAN_S = 5;
    private final WarmPoolSettings settings;
    private final String defaultKey;
    private final ObjectNode defaultProfile;
    private final Map<String, Setting> settingsByKey = new LinkedHashMap<>();
    /** Launch → DevTools up → in the pool, seconds, smoothed; a prior until the first launch is measured. */
    private double launchSeconds = 1.5;
    private static final int RECENT_LAUNCHES = 20;
    private final ArrayDeque<Double> recentLaunches = new ArrayDeque<>();
    /** PSS of one idle browser's whole process tree, bytes, smoothed; a prior until the first is measured. */
    private double browserBytes = 200L << 20;

    PoolDemand(WarmPoolSettings settings, String defaultKey, ObjectNode defaultProfile) {
        this.settings = settings;
        this.defaultKey = defaultKey;
        this.defaultProfile = defaultProfile;
    }

    synchronized void created(String key, ObjectNode profile, long now) {
        Setting s = settingsByKey.computeIfAbsent(key, k -> new Setting());
        s.creates.addLast(now);
        s.profile = profile;
        expire(now);
    }

    synchronized void launched(double seconds) {
        launchSeconds = 0.7 * launchSeconds + 0.3 * seconds;
        recentLaunches.addLast(seconds);
        if (recentLaunches.size() > RECENT_LAUNCHES) {
            recentLaunches.removeFirst();
        }
    }

    /** Whether {@code key} was asked for within the window (a miss of it is then the pool's, not a new setting's). */
    synchronized boolean knows(String key) {
        Setting s = settingsByKey.get(key);
        return s != null && !s.creates.isEmpty();
    }

    /** {@code key}'s creates per second now (as {@link #plan} counts them), 0 when nobody asked for it in the window. */
    synchronized double rate(String key, long now) {
        expire(now);
        Setting s = settingsByKey.get(key);
        return s == null ? 0 : rate(s.creates, now);
    }

    /**
     * Creates per second: over the span the window's creates cover (at least 5 s), or over the last 5 s when that is
     * higher, so a rate that just went up is followed within seconds (the bench's paced block after slower warm-ups
     * missed for ~20 s while the window still averaged in the slow start).
     */
    private double rate(ArrayDeque<Long> c, long now) {
        double windowS = settings.window().toNanos() / 1e9;
        double span = c.isEmpty() ? windowS : Math.min(windowS, Math.max(MIN_SPAN_S, (now - c.peekFirst()) / 1e9));
        long recentFrom = now - (long) (MIN_SPAN_S * 1e9);
        long recent = 0;
        for (java.util.Iterator<Long> it = c.descendingIterator(); it.hasNext() && it.next() >= recentFrom; ) {
            recent++;
        }
        return Math.max(c.size() / span, recent / MIN_SPAN_S);
    }

    synchronized void measured(long pssBytes) {
        if (pssBytes > 0) {
            browserBytes = 0.7 * browserBytes + 0.3 * pssBytes;
        }
    }

    /**
     * The launch time the pool sizes with: the smoothed one, or the 90th percentile of the last launches when that is
     * longer (a refill that loses the cores to other work now and then must not drain the pool each time).
     */
    synchronized double launchSeconds() {
        if (recentLaunches.size() < 5) {
            return launchSeconds;
        }
        double[] sorted = recentLaunches.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return Math.max(launchSeconds, sorted[(int) Math.ceil(0.9 * sorted.length) - 1]);
    }

    synchronized long browserBytes() {
        return (long) browserBytes;
    }

    private void expire(long now) {
        long from = now - settings.window().toNanos();
        settingsByKey.values().forEach(s -> {
            while (!s.creates.isEmpty() && s.creates.peekFirst() < from) {
                s.creates.removeFirst();
            }
        });
        settingsByKey.entrySet().removeIf(e -> e.getValue().creates.isEmpty() && !e.getKey().equals(defaultKey));
    }

    /**
     * Warm browsers per setting: the default setting at least {@code floor}; a demand-sized setting
     * {@code ceil(rate × (launch + headroom))}; all together within the ceiling and what the memory budget leaves
     * after {@code live} running sessions. When they do not all fit, the busiest settings come first.
     */
    synchronized List<Target> plan(long now, int live) {
        expire(now);
        List<Target> wanted = new ArrayList<>();
        boolean defaultSeen = false;
        for (Map.Entry<String, Setting> e : settingsByKey.entrySet()) {
            // Creates per second over the span they cover (at least 5 s, at most the window): a steady rate is seen
            // after a few creates, not only once a whole window has passed.
            double rate = rate(e.getValue().creates, now);
            int n = settings.demandSized() ? (int) Math.ceil(rate * (launchSeconds() + settings.headroom().toNanos() / 1e9)) : 0;
            boolean isDefault = e.getKey().equals(defaultKey);
            if (isDefault) {
                n = Math.max(n, settings.floor());
                defaultSeen = true;
            }
            wanted.add(new Target(e.getKey(), isDefault ? defaultProfile : e.getValue().profile, Math.min(n, settings.ceiling()), rate));
        }
        if (!defaultSeen && settings.floor() > 0) {
            wanted.add(new Target(defaultKey, defaultProfile, settings.floor(), 0));
        }
        long fits = (long) Math.floor((settings.memoryBudgetBytes() - live * browserBytes) / browserBytes);
        int room = (int) Math.max(0, Math.min(settings.ceiling(), fits));
        // The floor first, then by demand.
        wanted.sort(Comparator.comparing((Target t) -> !t.key().equals(defaultKey)).thenComparing(Target::ratePerSecond, Comparator.reverseOrder()));
        List<Target> out = new ArrayList<>();
        for (Target t : wanted) {
            int n = Math.min(t.count(), room);
            room -= n;
            out.add(new Target(t.key(), t.profile(), n, t.ratePerSecond()));
        }
        return out;
    }
}
