package com.aimlib.host;

import com.aimlib.protocol.host.BootOrder;

import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway-to-host link for a host in its own process ({@code aimlib host}): boot orders and stops
 * are read from the gateway's database (sessions assigned to this host in {@code provisioning}, and
 * sessions it runs that left the live states). Reports go back through the same database.
 */
public final class HostOrders implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostOrders.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Jdbi jdbi;
    private final SecretBox box;
    private final BrowserHost host;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("host-orders").factory());

    public HostOrders(Database db, SecretBox box, BrowserHost host, long pollMillis) {
        this.jdbi = db.jdbi();
        this.box = box;
        this.host = host;
        timer.scheduleWithFixedDelay(this::poll, 0, pollMillis, TimeUnit.MILLISECONDS);
    }

    void poll() {
        try {
            Set<UUID> mine = host.sessions();
            List<Map<String, Object>> orders = jdbi.withHandle(h -> h.createQuery("""
                            SELECT s.id, COALESCE(s.resolved_profile, s.profile)::text AS profile, s.data_cap_bytes, s.start_url, d.name, p.username, p.password_enc
                            FROM browser_sessions s JOIN devices d ON d.id = s.device_id JOIN proxies p ON p.lease_id = s.lease_id
                            WHERE s.host_id = :host AND s.status = 'provisioning'""")
                    .bind("host", host.id()).mapToMap().list());
            for (Map<String, Object> o : orders) {
                UUID id = (UUID) o.get("id");
                if (!mine.contains(id)) {
                    host.boot(new BootOrder(id, (String) o.get("name"), (ObjectNode) MAPPER.readTree((String) o.get("profile")),
                            (Long) o.get("data_cap_bytes"), (String) o.get("username"), box.open((byte[]) o.get("password_enc")),
                            (String) o.get("start_url"), jdbi.withHandle(h -> com.aimlib.gateway.recordings.Recordings.orderOf(h, id))));
                }
            }
            if (!mine.isEmpty()) {
                List<UUID> ended = jdbi.withHandle(h -> h.createQuery("""
                                SELECT id FROM browser_sessions WHERE id = ANY(:ids)
                                  AND status NOT IN ('requested','provisioning','ready','active','idle')""")
                        .bind("ids", mine.toArray(UUID[]::new)).mapTo(UUID.class).list());
                ended.forEach(host::stop);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("host order poll failed cause={}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
