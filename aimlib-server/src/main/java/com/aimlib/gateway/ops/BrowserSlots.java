package com.aimlib.gateway.ops;

import com.aimlib.store.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauge an autoscaler acts on: {@code aimlib_browser_slots{region, state}} per region, computed from
 * {@code browser_hosts} and their live sessions every {@code interval}.
 * <ul>
 *   <li>{@code state="free"}: sessions the region's hosts that are up (heartbeat within the timeout) can still
 *       take, capacity minus live sessions, at least 0 per host. Scale hosts out when it nears 0.</li>
 *   <li>{@code state="pending"}: sessions placed on a host and still starting ({@code requested},
 *       {@code provisioning}), the demand the free slots are being consumed by.</li>
 *   <li>{@code state="busy"}: live sessions placed on the region's hosts (pending included): the demand a
 *       HorizontalPodAutoscaler divides by a target number of sessions per host.</li>
 * </ul>
 * Every region a host ever registered in has both series (0 when all its hosts are down), so a region whose
 * hosts all died reads {@code free=0} rather than vanishing. The query runs on a virtual thread, never on a
 * scrape's event loop; every replica of the gateway reports the same figures (the autoscaler takes one).
 */
public final class BrowserSlots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrowserSlots.class);
    private static final String LIVE = "('requested','provisioning','ready','active','idle')";
    private static final String STARTING = "('requested','provisioning')";

    private final Database db;
    private final Clock clock;
    private final Duration heartbeatTimeout;
    private final MultiGauge gauge;
    private final Thread refresher;

    /** One region's figures at the last refresh. */
    public record Region(String region, long free, long pending, long busy) {
    }

    /** Stops the refresher between two refreshes, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer pacer;

    private BrowserSlots(Database db, MeterRegistry meters, Clock clock, Duration heartbeatTimeout, Duration interval) {
        this.db = db;
        this.clock = clock;
        this.heartbeatTimeout = heartbeatTimeout;
        this.gauge = MultiGauge.builder("aimlib.browser.slots")
                .description("Browser session slots per region: free on hosts that are up, pending (placed, still starting), busy (live)")
                .baseUnit("sessions")
                .register(meters);
        this.pacer = new com.aimlib.Pacer();
        this.refresher = Thread.ofVirtual().name("browser-slots").unstarted(() -> loop(interval));
    }

    /** Registers the gauge, fills it once, and refreshes it every {@code interval} until closed. */
    public static BrowserSlots start(Database db, MeterRegistry meters, Clock clock, Duration heartbeatTimeout, Duration interval) {
        BrowserSlots slots = new BrowserSlots(db, meters, clock, heartbeatTimeout, interval);
        slots.refresher.start();
        return slots;
    }

    private void loop(Duration interval) {
        do {
            try {
                refresh();
            } catch (RuntimeException e) {
                log.warn("browser slot gauge not refreshed: {}", e.toString());
            }
        } while (pacer.pause(interval));
    }

    /** Reads the figures now and sets the gauge to them (one refresh at a time: the rows are replaced whole). */
    public synchronized List<Region> refresh() {
        Timestamp fresh = Timestamp.from(clock.instant().minus(heartbeatTimeout));
        List<Region> regions = db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT h.region,
                               coalesce(sum(CASE WHEN h.status = 'up' AND h.last_heartbeat_at > :fresh
                                                 THEN greatest(h.capacity - coalesce(s.live, 0), 0) ELSE 0 END), 0) AS free,
                               coalesce(sum(coalesce(s.starting, 0)), 0) AS pending,
                               coalesce(sum(coalesce(s.live, 0)), 0) AS busy
                        FROM browser_hosts h
                        LEFT JOIN (SELECT host_id, count(*) AS live,
                                          count(*) FILTER (WHERE status IN """ + STARTING + """
                                          ) AS starting
                                   FROM browser_sessions WHERE host_id IS NOT NULL AND status IN """ + LIVE + """
                                   GROUP BY host_id) s ON s.host_id = h.id
                        GROUP BY h.region ORDER BY h.region""")
                .bind("fresh", fresh)
                .map((rs, ctx) -> new Region(rs.getString("region"), rs.getLong("free"), rs.getLong("pending"), rs.getLong("busy")))
                .list());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Region r : regions) {
            rows.add(MultiGauge.Row.of(Tags.of("region", r.region(), "state", "free"), r.free()));
            rows.add(MultiGauge.Row.of(Tags.of("region", r.region(), "state", "pending"), r.pending()));
            rows.add(MultiGauge.Row.of(Tags.of("region", r.region(), "state", "busy"), r.busy()));
        }
        gauge.register(rows, true);
        return regions;
    }

    @Override
    public void close() {
        pacer.stop(refresher, Duration.ofSeconds(5));
    }
}
