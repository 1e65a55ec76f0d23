package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.http.StrictUtf8;
import com.aimlib.protocol.ProfilesBody;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.UUID;

/**
 * The customer's browser-session surface:
 * <ul>
 *   <li>{@code POST /v1/devices/{id}/browser} (sessions.write) — create or adopt, 201 provisioning</li>
 *   <li>{@code GET /v1/devices/{id}/browser} (proxies.read) — the device's current session</li>
 *   <li>{@code DELETE /v1/devices/{id}/browser} (sessions.write) — 200 stopping, torn down asynchronously</li>
 *   <li>{@code GET /v1/profiles} (proxies.read) — the device catalogue a profile's {@code device} names</li>
 * </ul>
 */
public final class SessionRoutes {
    private SessionRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, BrowserSessions sessions) {
        register(router, auth, sessions, null, null);
    }

    /** With saved contexts and extensions (issue 14): {@code context_id}/{@code extensions} at create, {@code persist} at DELETE. */
    public static void register(Router router, ApiKeyAuth auth, BrowserSessions sessions, SessionContexts contexts,
                                com.aimlib.gateway.extensions.Extensions extensions) {
        ProfilesBody profiles = ProfilesBody.of(DeviceCatalogue.bundled());
        router.get("/v1/profiles", auth.customer("proxies.read", r -> Response.ok(profiles)));
        router.post("/v1/devices/{id}/browser", auth.customer("sessions.write", r -> create(r, sessions, contexts, extensions)));
        router.get("/v1/devices/{id}/browser", auth.customer("proxies.read", r -> {
            UUID device = r.uuidParam("id");
            return Response.ok(sessions.get(r.principal(CustomerPrincipal.class).customerId(), device));
        }));
        router.delete("/v1/devices/{id}/browser", auth.customer("sessions.write", r -> {
            UUID device = r.uuidParam("id");
            SessionContexts.SaveRequest persist = contexts == null ? null : ContextRoutes.persist(r);
            if (persist != null) {
                return Response.ok(contexts.stopAndSave(r.principal(CustomerPrincipal.class).customerId(), device, persist));
            }
            return Response.ok(sessions.stop(r.principal(CustomerPrincipal.class).customerId(), device));
        }));
    }

    private static Response create(Request r, BrowserSessions sessions, SessionContexts contexts,
                                   com.aimlib.gateway.extensions.Extensions extensions) {
        UUID device = r.uuidParam("id");
        JsonNode body = body(r);
        BrowserSessions.CreateRequest req = sessions.request(integer(body, "ttl"), integer(body, "idle_timeout"),
                body.hasNonNull("sticky") ? body.get("sticky").asBoolean() : null, Profiles.validate(body.get("profile")),
                StartUrl.parse(body.get("start_url")))
                .withRecording(com.aimlib.gateway.recordings.RecordingSpec.parse(body.get("recording")));
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        SessionExtras extras = contexts == null ? SessionExtras.NONE : ContextRoutes.extras(body, req.profile(), customer, contexts, extensions);
        return Response.created(sessions.create(customer, device, req, extras));
    }

    /** The body as a JSON object ({} when empty); anything unparseable is the documented profile_invalid. */
    private static JsonNode body(Request r) {
        if (r.body().length == 0) {
            return Json.MAPPER.createObjectNode();
        }
        if (!StrictUtf8.isValid(r.body())) {
            throw new ApiException(400, ErrorCode.PROFILE_INVALID, "request body is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new ApiException(400, ErrorCode.PROFILE_INVALID, "request body is not valid JSON");
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return Json.MAPPER.createObjectNode();
        }
        if (!node.isObject()) {
            throw new ApiException(400, ErrorCode.PROFILE_INVALID, "request body must be a JSON object");
        }
        return node;
    }

    /**
     * An optional number of seconds; a fraction is rounded up, so a positive value stays positive (the
     * documented "≤ 0 → default" must not catch {@code 0.5}); numeric strings accepted, anything else a 400.
     */
    private static Integer integer(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            double d = Math.ceil(v.asDouble());
            return d > Integer.MAX_VALUE ? Integer.MAX_VALUE : d < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) d;
        }
        if (v.isTextual()) {
            try {
                return Integer.parseInt(v.asText().trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(field + " must be an integer number of seconds");
            }
        }
        throw ApiException.badRequest(field + " must be an integer number of seconds");
    }
}
