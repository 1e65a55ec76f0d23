package com.aimlib.gateway.sessions;

import com.aimlib.gateway.api.BodyFields;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.extensions.Extensions;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.http.Uuids;
import com.aimlib.protocol.host.BootExtras;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Saved logins (issue 14):
 * <ul>
 *   <li>{@code GET /v1/contexts} (proxies.read) — the caller's contexts, oldest first</li>
 *   <li>{@code GET /v1/contexts/{id}} (proxies.read) — one; another customer's is 404</li>
 *   <li>{@code DELETE /v1/contexts/{id}} (sessions.write) — 200 {"status":"deleted"}</li>
 *   <li>{@code POST /v1/sessions/{id}/context} (sessions.write) — save a running session now; 201 context</li>
 * </ul>
 * and the create/stop fields they add to {@code /v1/devices/{id}/browser}: {@code context_id} and {@code extensions}
 * at create ({@link #extras}), {@code persist} (with {@code context_name} / {@code context_id}) at DELETE ({@link #persist}).
 */
public final class ContextRoutes {
    private ContextRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, SessionContexts contexts) {
        router.get("/v1/contexts", auth.customer("proxies.read", r -> Response.ok(contexts.list(customer(r)))));
        router.get("/v1/contexts/{id}", auth.customer("proxies.read", r -> Response.ok(contexts.get(customer(r), r.uuidParam("id")))));
        router.delete("/v1/contexts/{id}", auth.customer("sessions.write", r -> {
            contexts.delete(customer(r), r.uuidParam("id"));
            return Response.ok(Map.of("status", "deleted"));
        }));
        router.post("/v1/sessions/{id}/context", auth.customer("sessions.write", r -> {
            UUID session = Uuids.parseOrNull(r.param("id"));
            if (session == null) {
                throw ApiException.shortForm(400, "bad id");
            }
            BodyFields body = BodyFields.of(r);
            return Response.created(contexts.saveNow(customer(r), session,
                    new SessionContexts.SaveRequest(body.optionalString("name", 200), body.optionalUuid("context_id"))));
        }));
    }

    private static UUID customer(Request r) {
        return r.principal(CustomerPrincipal.class).customerId();
    }

    /**
     * The save a DELETE asks for, or null: {@code ?persist=true} (with optional {@code context_name}, {@code context_id})
     * or a JSON body {@code {"persist": true, "context_name": "…", "context_id": "…"}}.
     */
    public static SessionContexts.SaveRequest persist(Request r) {
        String q = r.queryParam("persist");
        if (r.body().length > 0) {
            BodyFields body = BodyFields.of(r);
            JsonNode p = r.jsonObject().get("persist");
            if (p != null && !p.isNull() && !p.isBoolean()) {
                throw ApiException.badRequest("persist must be a boolean");
            }
            if (p != null && p.asBoolean()) {
                return new SessionContexts.SaveRequest(body.optionalString("context_name", 200), body.optionalUuid("context_id"));
            }
            if (q == null) {
                return null;
            }
        }
        if (q == null || q.equals("false")) {
            return null;
        }
        if (!q.equals("true")) {
            throw ApiException.badRequest("persist must be true or false");
        }
        String name = r.queryParam("context_name");
        if (name != null && (name.isBlank() || name.length() > 200)) {
            throw ApiException.badRequest("context_name must be 1-200 characters");
        }
        String id = r.queryParam("context_id");
        UUID ctx = id == null ? null : Uuids.parseOrNull(id);
        if (id != null && ctx == null) {
            throw ApiException.badRequest("context_id must be a UUID");
        }
        return new SessionContexts.SaveRequest(name, ctx);
    }

    /** {@code context_id} and {@code extensions} of a create body, opened for the host; the empty extras when neither is given. */
    public static SessionExtras extras(JsonNode body, ObjectNode profile, UUID customerId, SessionContexts contexts, Extensions extensions) {
        JsonNode ctx = body.get("context_id");
        JsonNode ext = body.get("extensions");
        UUID contextId = null;
        if (ctx != null && !ctx.isNull()) {
            contextId = ctx.isTextual() ? Uuids.parseOrNull(ctx.asText()) : null;
            if (contextId == null) {
                throw ApiException.badRequest("context_id must be a UUID");
            }
            if (profile != null && !profile.isEmpty()) {
                throw ApiException.badRequest("give either profile or context_id: a context keeps the profile it was saved with");
            }
        }
        List<UUID> ids = new ArrayList<>();
        if (ext != null && !ext.isNull()) {
            if (!ext.isArray()) {
                throw ApiException.badRequest("extensions must be an array of extension ids");
            }
            for (JsonNode e : ext) {
                UUID id = e.isTextual() ? Uuids.parseOrNull(e.asText()) : null;
                if (id == null) {
                    throw ApiException.badRequest("extensions must be an array of extension ids");
                }
                if (!ids.contains(id)) {
                    ids.add(id);
                }
            }
        }
        if (contextId == null && ids.isEmpty()) {
            return SessionExtras.NONE;
        }
        List<BootExtras.Extension> archives = extensions.archives(customerId, ids);
        SessionContexts.Opened opened = contextId == null ? null : contexts.open(customerId, contextId);
        return new SessionExtras(contextId, opened == null ? null : opened.resolvedProfile(), ids,
                new BootExtras(opened == null ? null : opened.state(), archives));
    }
}
