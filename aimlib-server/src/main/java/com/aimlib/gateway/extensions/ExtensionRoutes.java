package com.aimlib.gateway.extensions;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;

/**
 * Customer extensions (issue 14):
 * <ul>
 *   <li>{@code POST /v1/extensions} (sessions.write) — upload a zip or a multipart folder; 201 extension, 400 extension_invalid</li>
 *   <li>{@code GET /v1/extensions} (proxies.read) — the caller's extensions, oldest first</li>
 *   <li>{@code GET /v1/extensions/{id}} (proxies.read) — one; another customer's is 404</li>
 *   <li>{@code DELETE /v1/extensions/{id}} (sessions.write) — 200 {"status":"deleted"}; sessions running it keep it until they stop</li>
 * </ul>
 */
public final class ExtensionRoutes {
    /** The route whose body may exceed the gateway's general body limit. */
    public static final String UPLOAD_PATH = "/v1/extensions";

    private ExtensionRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, Extensions extensions) {
        router.post(UPLOAD_PATH, auth.customer("sessions.write", r -> Response.created(
                extensions.create(r.principal(CustomerPrincipal.class).customerId(), ExtensionUpload.read(r), r.queryParam("name")))));
        router.get("/v1/extensions", auth.customer("proxies.read", r -> Response.ok(
                extensions.list(r.principal(CustomerPrincipal.class).customerId()))));
        router.get("/v1/extensions/{id}", auth.customer("proxies.read", r -> Response.ok(
                extensions.get(r.principal(CustomerPrincipal.class).customerId(), r.uuidParam("id")))));
        router.delete("/v1/extensions/{id}", auth.customer("sessions.write", r -> {
            extensions.delete(r.principal(CustomerPrincipal.class).customerId(), r.uuidParam("id"));
            return Response.ok(Extensions.deleted());
        }));
    }
}
