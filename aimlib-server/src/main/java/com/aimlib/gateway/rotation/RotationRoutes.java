package com.aimlib.gateway.rotation;

import com.aimlib.gateway.api.BodyFields;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.protocol.EgressIpBody;
import com.aimlib.protocol.OperationBody;
import com.aimlib.protocol.RotationScheduleBody;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The customer routes of IP rotation (extensions of {@code /v1}):
 * <ul>
 *   <li>{@code POST /v1/devices/{id}/rotate-ip} (sessions.write) — {@code {"wait": bool, "timeout": s}}: 202 with
 *       the queued operation, or with {@code wait} 200 with the finished one (202 when still running at the timeout)</li>
 *   <li>{@code GET  /v1/operations/{id}} (proxies.read) — one of the caller's operations</li>
 *   <li>{@code GET  /v1/devices/{id}/ips} (proxies.read) — the device's egress IPs during the caller's leases</li>
 *   <li>{@code GET|PUT /v1/devices/{id}/rotation-schedule} (proxies.read / sessions.write) — {@code {"interval": s|null}}</li>
 * </ul>
 * Another customer's device or operation is 404, as if it did not exist.
 */
public final class RotationRoutes {
    /** The longest schedule interval: a week. */
    static final int MAX_INTERVAL_S = 7 * 24 * 3600;

    private final RotationService rotations;
    private final Jdbi jdbi;

    public RotationRoutes(RotationService rotations, Jdbi jdbi) {
        this.rotations = rotations;
        this.jdbi = jdbi;
    }

    public void register(Router router, ApiKeyAuth auth) {
        router.post("/v1/devices/{id}/rotate-ip", auth.customer("sessions.write", this::rotate));
        router.get("/v1/operations/{id}", auth.customer("proxies.read", this::operation));
        router.get("/v1/devices/{id}/ips", auth.customer("proxies.read", this::ips));
        router.get("/v1/devices/{id}/rotation-schedule", auth.customer("proxies.read", this::getSchedule));
        router.put("/v1/devices/{id}/rotation-schedule", auth.customer("sessions.write", this::putSchedule));
    }

    private static UUID customer(Request r) {
        return r.principal(CustomerPrincipal.class).customerId();
    }

    private Response rotate(Request r) throws InterruptedException {
        UUID device = r.uuidParam("id");
        JsonNode body = r.jsonObject();
        JsonNode w = body.get("wait");
        if (w != null && !w.isNull() && !w.isBoolean()) {
            throw ApiException.badRequest("wait must be true or false");
        }
        boolean wait = w != null && w.asBoolean(false);
        Integer timeout = BodyFields.of(r).optionalInt("timeout", 1, (int) rotations.settings().waitMax().toSeconds());
        OperationBody op = rotations.request(customer(r), device, "api");
        if (wait) {
            Duration bound = timeout == null ? rotations.settings().waitDefault() : Duration.ofSeconds(timeout);
            op = rotations.await(op.operationId(), customer(r), bound);
        }
        return Response.of(op.finished() ? 200 : 202, op).withHeader("Location", "/v1/operations/" + op.operationId());
    }

    private Response operation(Request r) {
        UUID id = r.uuidParam("id");
        return Response.ok(rotations.get(id, customer(r)).orElseThrow(RotationService::operationNotFound));
    }

    private Response ips(Request r) {
        UUID device = r.uuidParam("id");
        UUID customer = customer(r);
        return Response.ok(jdbi.withHandle(h -> {
            boolean leased = h.createQuery("SELECT count(*) FROM leases WHERE device_id = :d AND customer_id = :c")
                    .bind("d", device).bind("c", customer).mapTo(Integer.class).one() > 0;
            if (!leased) {
                throw RotationService.deviceNotFound();
            }
            // Each history row spans [observed_at, the next row's observed_at or now); it is shown clipped to the
            // caller's leases, so neither the address nor the times of another tenant's lease ever appear.
            return h.createQuery("""
                            WITH hist AS (
                                SELECT ip, source, operation_id, observed_at, last_seen_at,
                                       LEAD(observed_at) OVER (ORDER BY observed_at, id) AS replaced_at
                                FROM device_egress_history WHERE device_id = :d
                            ), mine AS (
                                SELECT id, starts_at,
                                       CASE WHEN status = 'active' AND (ends_at IS NULL OR ends_at > now()) THEN now()
                                            ELSE LEAST(COALESCE(ended_at, ends_at, now()), now()) END AS until,
                                       status = 'active' AND (ends_at IS NULL OR ends_at > now()) AS live
                                FROM leases WHERE device_id = :d AND customer_id = :c
                            )
                            SELECT hist.ip, hist.source, hist.operation_id, mine.id AS lease_id,
                                   GREATEST(hist.observed_at, mine.starts_at) AS first_seen,
                                   GREATEST(GREATEST(hist.observed_at, mine.starts_at),
                                            LEAST(CASE WHEN hist.replaced_at IS NULL THEN now() ELSE hist.last_seen_at END, mine.until)) AS last_seen,
                                   hist.replaced_at IS NULL AND mine.live AS current
                            FROM hist JOIN mine ON hist.observed_at <= mine.until
                                               AND COALESCE(hist.replaced_at, 'infinity'::timestamptz) > mine.starts_at
                            ORDER BY first_seen DESC, last_seen DESC LIMIT 100""")
                    .bind("d", device).bind("c", customer)
                    .map((rs, ctx) -> new EgressIpBody(rs.getString("ip"), rs.getTimestamp("first_seen").toInstant(),
                            rs.getTimestamp("last_seen").toInstant(), rs.getBoolean("current"), rs.getString("source"),
                            "rotation".equals(rs.getString("source")) ? rs.getObject("operation_id", UUID.class) : null,
                            rs.getObject("lease_id", UUID.class)))
                    .list();
        }));
    }

    private Response getSchedule(Request r) {
        UUID device = r.uuidParam("id");
        RotationService.Schedule s = rotations.schedule(customer(r), device);
        return Response.ok(new RotationScheduleBody(device, s.leaseId(), s.interval(), s.next()));
    }

    private Response putSchedule(Request r) {
        UUID device = r.uuidParam("id");
        BodyFields body = BodyFields.of(r);
        if (!r.jsonObject().has("interval")) {
            throw ApiException.badRequest("interval is required (seconds, or null for no schedule)");
        }
        long min = Math.max(1, rotations.settings().minInterval().toSeconds());
        Integer every = body.optionalInt("interval", (int) min, MAX_INTERVAL_S);
        RotationService.Schedule s = rotations.schedule(customer(r), device, every);
        return Response.ok(new RotationScheduleBody(device, s.leaseId(), s.interval(), s.next()));
    }
}
