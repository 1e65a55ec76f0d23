package com.aimlib.gateway.health;

import com.aimlib.gateway.tunnel.DeviceTunnels;
import com.aimlib.gateway.tunnel.TunnelHealth;
import com.aimlib.store.DeviceHealthStore;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link Settings#interval}: asks each device connected to this gateway how it is ({@link TunnelHealth}:
 * tunnel RTT by PING, the agent's health command and egress probe), stores it, then marks devices with no egress
 * for {@link Settings#unhealthyAfter} unhealthy — also devices whose agent is gone, whichever replica notices.
 * Metrics: gauge {@code aimlib_devices_unhealthy}, counter {@code aimlib_device_unhealthy_total} (devices marked),
 * summary {@code aimlib_device_tunnel_rtt_ms}. Runs on virtual threads; {@link #close} stops it.
 */
public final class DeviceHealthMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeviceHealthMonitor.class);

    /** How often to ask, after how long without egress a device is unhealthy, and how long an agent may take to answer. */
    public record Settings(Duration interval, Duration unhealthyAfter, Duration answerTimeout) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(15), Duration.ofSeconds(120), Duration.ofSeconds(20));
        }
    }

    private final DeviceTunnels tunnels;
    private final TunnelHealth health;
    private final DeviceHealthStore store;
    private final Clock clock;
    private final Settings settings;
    private final ExecutorService blocking;
    private final AtomicInteger unhealthy = new AtomicInteger();
    private final Counter marked;
    private final DistributionSummary rtt;
    private final Thread loop;
    /** Stops the loop between two rounds, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer pacer = new com.aimlib.Pacer();

    public DeviceHealthMonitor(DeviceTunnels tunnels, DeviceHealthStore store, Clock clock, Settings settings,
                               ExecutorService blocking, MeterRegistry meters) {
        this.tunnels = tunnels;
        this.health = new TunnelHealth(tunnels);
        this.store = store;
        this.clock = clock;
        this.settings = settings;
        this.blocking = blocking;
        Gauge.builder("aimlib.devices.unhealthy", unhealthy, AtomicInteger::get)
                .description("Devices marked unhealthy: no egress for the configured time (--device-unhealthy-after)")
                .register(meters);
        this.marked = Counter.builder("aimlib.device.unhealthy")
                .description("Times a device was marked unhealthy (counted once, by the replica that marked it)").register(meters);
        this.rtt = DistributionSummary.builder("aimlib.device.tunnel.rtt.ms")
                .description("Tunnel round trip measured by HTTP/2 PING, per health sample").register(meters);
        this.loop = Thread.ofVirtual().name("device-health").start(this::run);
    }

    private void run() {
        do {
            try {
                round();
            } catch (RuntimeException e) {
                log.warn("event=device_health_round_failed error={}", e.toString());
            }
        } while (pacer.pause(settings.interval()));
    }

    /** One round: sample every connected device (in parallel), then mark the ones without egress. Blocking. */
    void round() {
        List<Future<?>> samples = new ArrayList<>();
        for (UUID id : tunnels.connectedDevices()) {
            samples.add(blocking.submit(() -> sample(id)));
        }
        for (Future<?> f : samples) {
            try {
                f.get(settings.answerTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                f.cancel(true);
            }
        }
        for (UUID id : store.markUnhealthy(clock.instant(), settings.unhealthyAfter())) {
            marked.increment();
            log.warn("event=device_unhealthy device={} no_egress_for_s={}", id, settings.unhealthyAfter().toSeconds());
        }
        unhealthy.set(store.countUnhealthy());
    }

    private void sample(UUID id) {
        try {
            health.sample(id, settings.answerTimeout()).ifPresent(s -> {
                JsonNode a = s.agent();
                if (s.rttMs() != null) {
                    rtt.record(s.rttMs());
                }
                DeviceHealthStore.Report report = a == null
                        ? new DeviceHealthStore.Report(id, false, null, null, null, null, null, s.rttMs(), null)
                        : new DeviceHealthStore.Report(id, true, integer(a, "signal_dbm"), text(a, "network_type"),
                                integer(a, "battery_pct"), decimal(a, "temperature_c"), text(a, "probe_error"), s.rttMs(),
                                a.hasNonNull("egress_ok") ? a.get("egress_ok").asBoolean() : null);
                if (store.record(report, clock.instant())) {
                    log.info("event=device_healthy_again device={}", id);
                }
            });
        } catch (RuntimeException e) {
            log.info("event=device_health_sample_failed device={} error={}", id, e.getClass().getSimpleName());
        }
    }

    private static Integer integer(JsonNode n, String field) {
        return n.hasNonNull(field) && n.get(field).isNumber() ? n.get(field).asInt() : null;
    }

    private static Double decimal(JsonNode n, String field) {
        return n.hasNonNull(field) && n.get(field).isNumber() ? n.get(field).asDouble() : null;
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    @Override
    public void close() {
        pacer.stop(loop, java.time.Duration.ofSeconds(5));
    }
}
