package com.aimlib.gateway.sessions;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The start-time histograms: {@code aimlib_session_start_seconds{phase, region, pool_hit}} (Prometheus histogram
 * buckets), one series per phase and {@code phase="total"} for POST → ready; and
 * {@code aimlib_session_egress_checks_total{ok}} for the egress check after ready.
 */
final class StartMeters {
    private final MeterRegistry registry;

    StartMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String region, boolean poolHit, Map<String, Long> phases, long totalNanos) {
        phases.forEach((phase, nanos) -> timer(region, poolHit, phase).record(nanos, TimeUnit.NANOSECONDS));
        timer(region, poolHit, "total").record(totalNanos, TimeUnit.NANOSECONDS);
    }

    /** Phases that overlap the client's connect (after a ready with the identity pending): no {@code total} of their own. */
    void recordPhases(String region, boolean poolHit, Map<String, Long> phases) {
        phases.forEach((phase, nanos) -> timer(region, poolHit, phase).record(nanos, TimeUnit.NANOSECONDS));
    }

    private Timer timer(String region, boolean poolHit, String phase) {
        return Timer.builder("aimlib.session.start").description("Where a browser session's start (POST -> ready) went, by phase")
                .tag("phase", phase).tag("region", region).tag("pool_hit", Boolean.toString(poolHit))
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    void egressCheck(boolean ok) {
        Counter.builder("aimlib.session.egress.checks").tag("ok", Boolean.toString(ok)).register(registry).increment();
    }
}
