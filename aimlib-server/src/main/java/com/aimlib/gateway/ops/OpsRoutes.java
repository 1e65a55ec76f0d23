package com.aimlib.gateway.ops;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.store.Database;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;

/**
 * Operational endpoints, unauthenticated but for {@code /metrics}.
 * <ul>
 *   <li>{@code GET /healthz} — the process is alive</li>
 *   <li>{@code GET /readyz} — the database answers</li>
 *   <li>{@code GET /metrics} — Prometheus text; on the customer-facing port only for an operator key, without
 *       a key only on the separate scraper listener ({@link #registerScrape})</li>
 *   <li>{@code GET /ip} — the caller's address as plain text: a what-is-my-IP page, so agents and browser
 *       hosts of a self-hosted deployment can learn a device's egress IP without a third-party service</li>
 * </ul>
 */
public final class OpsRoutes {
    private OpsRoutes() {
    }

    public static void register(Router router, Database db, PrometheusMeterRegistry meters, ApiKeyAuth auth) {
        router.get("/healthz", r -> Response.ok(Map.of("status", "ok")));
        router.get("/readyz", r -> {
            if (!db.ping()) {
                throw new ApiException(503, ErrorCode.NOT_READY, "database unreachable");
            }
            return Response.ok(Map.of("status", "ready"));
        });
        router.get("/ip", r -> Response.ok(new Response.Text("text/plain; charset=utf-8",
                r.remote() == null ? "" : r.remote().getAddress().getHostAddress())));
        router.get("/metrics", auth.operator(r -> scrape(meters)));
    }

    /** The scraper's listener: {@code GET /metrics} without authentication, and nothing else. */
    public static void registerScrape(Router router, PrometheusMeterRegistry meters) {
        router.get("/metrics", r -> scrape(meters));
    }

    private static Response scrape(PrometheusMeterRegistry meters) {
        return Response.ok(new Response.Text("text/plain; version=0.0.4; charset=utf-8", meters.scrape()));
    }
}
