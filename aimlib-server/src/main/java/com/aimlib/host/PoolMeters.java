package com.aimlib.host;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The warm pool on {@code /metrics} (the global registry: a host in the gateway's process shows there):
 * {@code aimlib_warm_pool_browsers{region,state="ready"|"launching"|"target"}}, {@code aimlib_warm_pool_claims_total{region,hit}}
 * and {@code aimlib_warm_pool_launches_total{region}}.
 */
final class PoolMeters {
    private final MeterRegistry registry = Metrics.globalRegistry;
    private final String region;
    private final AtomicInteger target = new AtomicInteger();
    private final List<Meter> meters = new ArrayList<>();
    private final Counter hits;
    private final Counter misses;
    private final Counter launches;

    PoolMeters(String region, IntSupplier floor) {
        this.region = region;
        this.target.set(floor.getAsInt());
        hits = Counter.builder("aimlib.warm.pool.claims").tag("region", region).tag("hit", "true")
                .description("Session boots that took a warm browser").register(registry);
        misses = Counter.builder("aimlib.warm.pool.claims").tag("region", region).tag("hit", "false")
                .description("Session boots that launched a browser cold").register(registry);
        launches = Counter.builder("aimlib.warm.pool.launches").tag("region", region)
                .description("Browsers launched for the warm pool").register(registry);
    }

    void bind(BrowserHost host) {
        meters.add(Gauge.builder("aimlib.warm.pool.browsers", host, h -> h.warmCount()).tag("region", region).tag("state", "ready")
                .strongReference(false).register(registry));
        meters.add(Gauge.builder("aimlib.warm.pool.browsers", host, h -> h.warmingCount()).tag("region", region).tag("state", "launching")
                .strongReference(false).register(registry));
        meters.add(Gauge.builder("aimlib.warm.pool.browsers", target, AtomicInteger::get).tag("region", region).tag("state", "target")
                .register(registry));
    }

    void claim(boolean hit) {
        (hit ? hits : misses).increment();
    }

    /** Why a boot found no warm browser of its setting: {@code new_setting}, {@code pool_empty}, {@code joined_launch}. */
    void miss(String reason) {
        Counter.builder("aimlib.warm.pool.misses").tag("region", region).tag("reason", reason)
                .description("Session boots that found no warm browser of their launch setting, by why").register(registry).increment();
    }

    /** A warm launch started, at normal priority ({@code urgent}: its setting ran short) or below. */
    void launchStarted(boolean urgent) {
        Counter.builder("aimlib.warm.pool.launch.starts").tag("region", region).tag("priority", urgent ? "normal" : "low")
                .description("Warm launches started, by the priority they started at").register(registry).increment();
    }

    void launched() {
        launches.increment();
    }

    void target(int n) {
        target.set(n);
    }

    void close() {
        meters.forEach(registry::remove);
    }
}
