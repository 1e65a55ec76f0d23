package com.aimlib.gateway.hosts;

import com.aimlib.gateway.api.BodyFields;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Handler;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.host.HostApi;
import com.aimlib.protocol.host.StartPhases;
import com.aimlib.store.SecretBox;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The HTTP surface of browser hosts on other machines (issue 12), in one table:
 * <ul>
 *   <li>operator: {@code POST /admin/v1/hosts} {name, region} → 201 with the host's one-time token;
 *       {@code DELETE /admin/v1/hosts/{id}} (also {@code DELETE /admin/v1/hosts/{id}/credential}) revokes it;</li>
 *   <li>host reports ({@code Authorization: Bearer aimh_…}): {@code POST /host/v1/register}, {@code POST /host/v1/heartbeat},
 *       {@code POST /host/v1/sessions/{id}/ready|failed|stopped|bytes|egress}; a report on a session not placed on the
 *       calling host is 404 {@code session_not_found}, a missing, unknown or revoked token 401.</li>
 * </ul>
 * Every report runs the in-process {@link BrowserSessions} method the in-process host calls; all state is in
 * PostgreSQL, so any replica behind the balancer answers.
 */
public final class HostRoutes {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern CDP_PATH = Pattern.compile("/devtools/browser/[A-Za-z0-9-]{1,64}");
    private static final Pattern IP = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private final HostCredentials credentials;
    private final BrowserSessions sessions;
    private final SecretBox box;
    private final ApiKeyAuth auth;
    private final Duration heartbeatInterval;

    public HostRoutes(HostCredentials credentials, BrowserSessions sessions, SecretBox box, ApiKeyAuth auth, Duration heartbeatInterval) {
        this.credentials = credentials;
        this.sessions = sessions;
        this.box = box;
        this.auth = auth;
        this.heartbeatInterval = heartbeatInterval;
    }

    public void register(Router router) {
        router.post("/admin/v1/hosts", auth.operator(this::mint));
        router.delete("/admin/v1/hosts/{id}", auth.operator(this::revoke));
        router.delete("/admin/v1/hosts/{id}/credential", auth.operator(this::revoke));

        router.post(HostApi.REPORTS + "/register", host(this::registerHost));
        router.post(HostApi.REPORTS + "/self", host((r, h) -> Response.ok(new HostApi.Self(h.id(), h.name(), h.region()))));
        router.post(HostApi.REPORTS + "/heartbeat", host((r, h) -> {
            sessions.heartbeat(h.id());
            return Response.ok(Map.of("status", "ok"));
        }));
        router.post(HostApi.REPORTS + "/sessions/{id}/ready", session(this::ready));
        router.post(HostApi.REPORTS + "/sessions/{id}/failed", session((r, id) -> {
            String reason = BodyFields.of(r).requiredString("reason", 500);
            sessions.failed(id, reason);
        }));
        router.post(HostApi.REPORTS + "/sessions/{id}/stopped", session((r, id) -> {
            r.jsonObject();
            sessions.stopped(id);
        }));
        router.post(HostApi.REPORTS + "/sessions/{id}/bytes", session((r, id) -> {
            BodyFields b = BodyFields.of(r);
            Long total = b.optionalLong("total", 0, Long.MAX_VALUE);
            if (total == null) {
                throw ApiException.badRequest("total is required");
            }
            sessions.bytes(id, total);
        }));
        router.post(HostApi.REPORTS + "/sessions/{id}/egress", session((r, id) -> {
            String ip = BodyFields.of(r).optionalString("egress_ip", 45);
            if (ip != null && !IP.matcher(ip).matches()) {
                throw ApiException.badRequest("egress_ip must be an IP address");
            }
            sessions.egressVerified(id, ip);
        }));
    }

    // ---- operator ----

    private Response mint(Request r) {
        BodyFields body = BodyFields.of(r);
        String name = body.requiredString("name", 63);
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest("name must be letters, digits, '.', '_' or '-' (at most 63)");
        }
        String region = body.requiredString("region", 64);
        HostCredentials.Minted m = credentials.mint(name, region)
                .orElseThrow(() -> new ApiException(409, ErrorCode.CONFLICT, "a host named " + name + " already exists"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", m.id());
        out.put("name", m.name());
        out.put("region", m.region());
        out.put("token", m.token());
        out.put("token_prefix", m.prefix());
        out.put("created_at", m.createdAt());
        return Response.created(out);
    }

    private Response revoke(Request r) {
        UUID id = r.uuidParam("id");
        if (!credentials.revoke(id)) {
            throw credentials.exists(id) ? new ApiException(409, ErrorCode.CONFLICT, "the host has no live credential")
                    : ApiException.notFound("host not found");
        }
        int failed = sessions.hostRevoked(id);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("status", "revoked");
        out.put("sessions_failed", failed);
        return Response.ok(out);
    }

    // ---- host reports ----

    private interface HostHandler {
        Response handle(Request r, HostCredentials.HostPrincipal host) throws Exception;
    }

    private interface SessionReport {
        void handle(Request r, UUID sessionId) throws Exception;
    }

    /** Only a host with a live credential; 401 otherwise. */
    private Handler host(HostHandler handler) {
        return r -> {
            HostCredentials.HostPrincipal h = credentials.authenticate(ApiKeyAuth.bearer(r.header("Authorization")))
                    .orElseThrow(() -> new ApiException(401, ErrorCode.UNAUTHORIZED, "missing, unknown or revoked host credential"));
            return handler.handle(r, h);
        };
    }

    /** A report on one session: only the host it is placed on may send it (404 for any other, as for a missing one). */
    private Handler session(SessionReport report) {
        return host((r, h) -> {
            UUID id = com.aimlib.gateway.http.Uuids.parseOrNull(r.param("id"));
            if (id == null || !sessions.placedOn(id, h.id())) {
                throw ApiException.shortForm(404, "session_not_found");
            }
            report.handle(r, id);
            return Response.ok(Map.of("status", "ok"));
        });
    }

    private Response registerHost(Request r, HostCredentials.HostPrincipal h) {
        BodyFields body = BodyFields.of(r);
        String name = body.optionalString("name", 63);
        if (name != null && !name.equals(h.name())) {
            throw ApiException.forbidden("this credential is for host " + h.name());
        }
        String region = body.optionalString("region", 64);
        if (region != null && !region.equals(h.region())) {
            throw ApiException.forbidden("this credential is for region " + h.region());
        }
        String api = body.requiredString("api_url", 2048);
        URI uri;
        try {
            uri = new URI(api);
        } catch (java.net.URISyntaxException e) {
            throw ApiException.badRequest("api_url must be an http URL with a host and a port");
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || "/".equals(uri.getRawPath()))) {
            throw ApiException.badRequest("api_url must be an http URL with a host and a port, without a path");
        }
        Integer capacity = body.optionalInt("capacity", 0, 10_000);
        if (capacity == null) {
            throw ApiException.badRequest("capacity is required");
        }
        String chrome = body.optionalString("chrome_version", 64);
        String secret = body.requiredString("api_secret", 256);
        if (secret.length() < 32 || secret.chars().anyMatch(c -> c <= 32 || c >= 127)) {
            throw ApiException.badRequest("api_secret must be 32 to 256 printable ASCII characters");
        }
        String base = "http://" + uri.getRawAuthority();
        sessions.registerRemote(h.id(), h.region(), base, capacity, chrome, box.seal(secret));
        return Response.ok(new HostApi.Registered(h.id(), heartbeatInterval.toMillis(), sessions.settings().heartbeatTimeout().toMillis()));
    }

    private void ready(Request r, UUID id) {
        JsonNode node = r.jsonObject();
        BodyFields b = BodyFields.of(r);
        Integer port = b.optionalInt("cdp_port", 1, 65535);
        if (port == null) {
            throw ApiException.badRequest("cdp_port is required");
        }
        String path = b.requiredString("cdp_path", 200);
        if (!CDP_PATH.matcher(path).matches()) {
            throw ApiException.badRequest("cdp_path must be /devtools/browser/<id>");
        }
        String egress = b.optionalString("egress_ip", 45);
        if (egress != null && !IP.matcher(egress).matches()) {
            throw ApiException.badRequest("egress_ip must be an IP address");
        }
        if (!(node.get("resolved_profile") instanceof ObjectNode profile)) {
            throw ApiException.badRequest("resolved_profile must be an object");
        }
        Long boot = b.optionalLong("boot_ms", -1, 86_400_000L);
        String downloads = b.optionalString("downloads_dir", 1024);
        if (downloads != null && !downloads.startsWith("/")) {
            throw ApiException.badRequest("downloads_dir must be an absolute path");
        }
        StartPhases phases = null;
        JsonNode ns = node.get("phases_ns");
        if (ns != null && !ns.isNull()) {
            if (!ns.isObject() || ns.size() > 16) {
                throw ApiException.badRequest("phases_ns must be an object of at most 16 phases");
            }
            Map<String, Long> nanos = new LinkedHashMap<>();
            for (var it = ns.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isIntegralNumber() || e.getValue().longValue() < 0 || e.getKey().length() > 32) {
                    throw ApiException.badRequest("phases_ns values must be non-negative integers");
                }
                nanos.put(e.getKey(), e.getValue().longValue());
            }
            phases = new StartPhases(Boolean.TRUE.equals(b.optionalBoolean("pool_hit")), nanos);
        }
        sessions.ready(id, port, path, egress, profile, boot == null ? -1 : boot, downloads, phases);
    }
}
