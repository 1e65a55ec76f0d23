package com.aimlib.gateway.sessions;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import java.io.IOException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The operator's view of one browser session (extension, issue 13): {@code GET /admin/v1/sessions/{id}} (operator
 * keys only) — its state, host, egress and when that was checked, and {@code start}: where its start went
 * ({@code pool_hit}, {@code total_ms} = POST → ready, {@code phases_ms}). No connect token, no proxy credentials.
 */
public final class SessionAdminRoutes {
    private SessionAdminRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, BrowserSessions sessions) {
        router.get("/admin/v1/sessions/{id}", auth.operator(r -> Response.ok(view(sessions, r.uuidParam("id")))));
    }

    static Map<String, Object> view(BrowserSessions sessions, UUID id) {
        Map<String, Object> row = sessions.jdbi().withHandle(h -> h.createQuery("""
                        SELECT s.id, s.status, s.customer_id, s.device_id, s.lease_id, s.host_id, hst.name AS host_name, d.region,
                               s.egress_ip, s.egress_verified_at, s.created_at, s.boot_started_at, s.ready_at, s.expires_at,
                               s.failure_reason, s.start_phases::text AS start_phases
                        FROM browser_sessions s JOIN devices d ON d.id = s.device_id
                        LEFT JOIN browser_hosts hst ON hst.id = s.host_id WHERE s.id = :id""")
                .bind("id", id).mapToMap().findOne()).orElseThrow(() -> ApiException.notFound("session not found"));
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : new String[] {"id", "status", "customer_id", "device_id", "lease_id", "host_id", "host_name", "region",
                "egress_ip", "egress_verified_at", "created_at", "boot_started_at", "ready_at", "expires_at", "failure_reason"}) {
            Object v = row.get(k);
            m.put(k, v instanceof Timestamp t ? t.toInstant() : v);
        }
        Object phases = row.get("start_phases");
        try {
            m.put("start", phases == null ? null : Json.MAPPER.readTree((String) phases));
        } catch (IOException e) {
            m.put("start", null);
        }
        return m;
    }
}
