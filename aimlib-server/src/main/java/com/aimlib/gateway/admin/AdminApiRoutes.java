package com.aimlib.gateway.admin;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.api.BodyFields;
import com.aimlib.gateway.api.CustomerApiRoutes;
import com.aimlib.gateway.api.DeviceListCache;
import com.aimlib.gateway.api.ProxyEndpoints;
import com.aimlib.gateway.api.TicketView;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.http.Uuids;
import com.aimlib.gateway.proxy.AccessChangeListener;
import com.aimlib.gateway.proxy.LeaseEndListener;
import com.aimlib.protocol.identity.ProfileInvalidException;
import com.aimlib.protocol.identity.ProfileOverrides;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.DeviceHealthStore;
import com.aimlib.store.Tickets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;


/**
 * The operator REST surface {@code /admin/v1} (operator keys only). Bodies are JSON objects; every
 * answer is JSON; errors use the envelope.
 * <ul>
 *   <li>{@code POST /admin/v1/customers}, {@code GET /admin/v1/customers}, {@code GET|PATCH /admin/v1/customers/{id}},
 *       {@code POST /admin/v1/customers/{id}/suspend}, {@code POST /admin/v1/customers/{id}/reactivate}</li>
 *   <li>{@code POST /admin/v1/keys} (mint; the plaintext is in this answer only), {@code GET /admin/v1/keys?customer_id=&prefix=},
 *       {@code POST /admin/v1/keys/{id}/revoke}</li>
 *   <li>{@code POST /admin/v1/devices}, {@code GET /admin/v1/devices}, {@code GET|PATCH /admin/v1/devices/{id}}</li>
 *   <li>{@code POST /admin/v1/leases}, {@code GET /admin/v1/leases?customer_id=&device_id=&status=},
 *       {@code GET /admin/v1/leases/{id}}, {@code POST /admin/v1/leases/{id}/end}</li>
 *   <li>{@code GET /admin/v1/hosts}</li>
 *   <li>{@code GET /admin/v1/tickets?status=&customer_id=}, {@code GET /admin/v1/tickets/{id}},
 *       {@code POST /admin/v1/tickets/{id}/messages}, {@code POST /admin/v1/tickets/{id}/close}</li>
 * </ul>
 */
public final class AdminApiRoutes {
    private static final Set<String> PROTOCOLS = Set.of("http", "socks5", "none");

    private final Accounts accounts;
    private final Tickets tickets;
    private final Jdbi jdbi;
    private final DeviceHealthStore healthStore;
    private final ApiKeyAuth auth;
    private final DeviceListCache deviceCache;
    private final ProxyEndpoints proxies;
    private final Clock clock;
    private final String defaultRegion;

    private final LeaseEndListener leaseEnds;
    private final LeaseCreatedListener leaseCreated;
    private final AccessChangeListener accessChanges;

    public AdminApiRoutes(Accounts accounts, Tickets tickets, Database db, ApiKeyAuth auth, DeviceListCache deviceCache,
                          ProxyEndpoints proxies, Clock clock, String defaultRegion, LeaseEndListener leaseEnds,
                          LeaseCreatedListener leaseCreated, AccessChangeListener accessChanges) {
        this.leaseEnds = leaseEnds;
        this.leaseCreated = leaseCreated;
        this.accessChanges = accessChanges;
        this.accounts = accounts;
        this.tickets = tickets;
        this.jdbi = db.jdbi();
        this.healthStore = new DeviceHealthStore(db);
        this.auth = auth;
        this.deviceCache = deviceCache;
        this.proxies = proxies;
        this.clock = clock;
        this.defaultRegion = defaultRegion;
    }

    public void register(Router router) {
        router.post("/admin/v1/customers", auth.operator(this::createCustomer));
        router.get("/admin/v1/customers", auth.operator(r -> Response.ok(accounts.customers().stream().map(AdminViews::customer).toList())));
        router.get("/admin/v1/customers/{id}", auth.operator(r -> Response.ok(AdminViews.customer(customer(r.uuidParam("id"))))));
        router.patch("/admin/v1/customers/{id}", auth.operator(this::patchCustomer));
        router.post("/admin/v1/customers/{id}/suspend", auth.operator(r -> setCustomerStatus(r, "suspended")));
        router.post("/admin/v1/customers/{id}/reactivate", auth.operator(r -> setCustomerStatus(r, "active")));

        router.post("/admin/v1/keys", auth.operator(this::mintKey));
        router.get("/admin/v1/keys", auth.operator(this::listKeys));
        router.post("/admin/v1/keys/{id}/revoke", auth.operator(this::revokeKey));

        router.post("/admin/v1/devices", auth.operator(this::createDevice));
        router.get("/admin/v1/devices", auth.operator(r -> {
            Map<UUID, Map<String, Object>> health = healthStore.adminViews();
            return Response.ok(accounts.devices().stream().map(d -> withHealth(AdminViews.device(d), health.get(d.id()))).toList());
        }));
        router.get("/admin/v1/devices/{id}", auth.operator(r -> {
            Accounts.Device d = device(r.uuidParam("id"));
            return Response.ok(withHealth(AdminViews.device(d), healthStore.adminView(d.id())));
        }));
        router.patch("/admin/v1/devices/{id}", auth.operator(this::patchDevice));

        router.post("/admin/v1/leases", auth.operator(this::createLease));
        router.get("/admin/v1/leases", auth.operator(this::listLeases));
        router.get("/admin/v1/leases/{id}", auth.operator(r -> Response.ok(leaseView(lease(r.uuidParam("id"))))));
        router.post("/admin/v1/leases/{id}/end", auth.operator(this::endLease));

        router.get("/admin/v1/hosts", auth.operator(r -> Response.ok(hosts())));

        router.get("/admin/v1/tickets", auth.operator(this::listTickets));
        router.get("/admin/v1/tickets/{id}", auth.operator(r -> Response.ok(TicketView.of(
                tickets.get(r.uuidParam("id"), null).orElseThrow(CustomerApiRoutes::ticketNotFound), true))));
        router.post("/admin/v1/tickets/{id}/messages", auth.operator(this::replyTicket));
        router.post("/admin/v1/tickets/{id}/close", auth.operator(r -> Response.ok(TicketView.of(
                tickets.close(r.uuidParam("id"), null, "operator").orElseThrow(CustomerApiRoutes::ticketNotFound), true))));
    }

    // --- customers ---

    private Response createCustomer(Request r) {
        BodyFields body = BodyFields.of(r);
        String name = body.requiredString("name", 200);
        Integer max = body.optionalInt("max_browser_sessions", 0, 10_000);
        Accounts.Customer c = unique("a customer named " + name + " already exists",
                () -> accounts.createCustomer(name, max == null ? 5 : max));
        return Response.created(AdminViews.customer(c));
    }

    private Response patchCustomer(Request r) {
        UUID id = r.uuidParam("id");
        BodyFields body = BodyFields.of(r);
        String status = body.optionalEnum("status", Set.of("active", "suspended"));
        Integer max = body.optionalInt("max_browser_sessions", 0, 10_000);
        Accounts.Customer c = accounts.updateCustomer(id, status, max).orElseThrow(() -> notFound("customer"));
        changed();
        if (status != null) {
            accessChanges.customerStatusChanged(id);
        }
        return Response.ok(AdminViews.customer(c));
    }

    private Response setCustomerStatus(Request r, String status) {
        UUID id = r.uuidParam("id");
        Accounts.Customer c = accounts.updateCustomer(id, status, null).orElseThrow(() -> notFound("customer"));
        changed();
        accessChanges.customerStatusChanged(id);
        return Response.ok(AdminViews.customer(c));
    }

    private Accounts.Customer customer(UUID id) {
        return accounts.customer(id).orElseThrow(() -> notFound("customer"));
    }

    // --- keys ---

    private Response mintKey(Request r) {
        BodyFields body = BodyFields.of(r);
        String kind = body.optionalEnum("kind", Set.of("customer", "operator"));
        UUID customerId = body.optionalUuid("customer_id");
        String name = body.optionalString("name", 200);
        Set<String> scopes = body.optionalStringSet("scopes", Accounts.CUSTOMER_SCOPES);
        Instant expiresAt = body.optionalInstant("expires_at");
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            throw ApiException.badRequest("expires_at must be in the future");
        }
        Accounts.MintedKey minted;
        if ("operator".equals(kind)) {
            if (customerId != null || scopes != null) {
                throw ApiException.badRequest("an operator key has no customer_id or scopes");
            }
            minted = accounts.mintKey(null, name, Set.of(), expiresAt);
        } else {
            if (customerId == null) {
                throw ApiException.badRequest("customer_id is required");
            }
            customer(customerId);
            minted = accounts.mintKey(customerId, name, scopes == null ? Accounts.CUSTOMER_SCOPES : scopes, expiresAt);
        }
        Map<String, Object> out = AdminViews.key(minted.key());
        out.put("key", minted.plaintext());
        return Response.created(out);
    }

    private Response listKeys(Request r) {
        UUID customerId = queryUuid(r, "customer_id");
        String prefix = r.queryParam("prefix");
        return Response.ok(accounts.keys(customerId, prefix == null || prefix.isEmpty() ? null : prefix)
                .stream().map(AdminViews::key).toList());
    }

    private Response revokeKey(Request r) {
        UUID id = r.uuidParam("id");
        accounts.revokeKey(id);
        auth.invalidate();
        return Response.ok(AdminViews.key(accounts.key(id).orElseThrow(() -> notFound("key"))));
    }

    // --- devices ---

    private Response createDevice(Request r) {
        BodyFields body = BodyFields.of(r);
        String name = body.requiredString("name", 200);
        String region = body.optionalString("region", 64);
        String carrier = body.optionalString("carrier", 64);
        Integer max = body.optionalInt("max_browser_sessions", 0, 10_000);
        Long cap = body.optionalLong("monthly_cap_bytes", 0, Long.MAX_VALUE);
        Accounts.Device d = unique("a device named " + name + " already exists", () -> accounts.createDevice(
                name, region == null ? defaultRegion : region, carrier, max == null ? 1 : max, cap));
        return Response.created(AdminViews.device(d));
    }

    private Response patchDevice(Request r) {
        UUID id = r.uuidParam("id");
        BodyFields body = BodyFields.of(r);
        String region = body.optionalString("region", 64);
        String carrier = body.optionalString("carrier", 64);
        Integer max = body.optionalInt("max_browser_sessions", 0, 10_000);
        Long cap = body.optionalLong("monthly_cap_bytes", 0, Long.MAX_VALUE);
        // Absent leaves the cap as it is; an explicit null removes it (unlimited).
        boolean clearCap = body.explicitNull("monthly_cap_bytes");
        String timezone = identity(body, "timezone", ProfileOverrides::validTimezone);
        String locale = identity(body, "locale", ProfileOverrides::validLocale);
        Accounts.Device d = accounts.updateDevice(id, region, carrier, max, cap, clearCap).orElseThrow(() -> notFound("device"));
        if (timezone != null || locale != null || body.explicitNull("timezone") || body.explicitNull("locale")) {
            d = accounts.updateDeviceLocale(id, timezone, body.explicitNull("timezone"), locale, body.explicitNull("locale"))
                    .orElseThrow(() -> notFound("device"));
        }
        changed();
        if (cap != null || clearCap) {
            accessChanges.deviceCapChanged(id);
        }
        return Response.ok(AdminViews.device(d));
    }

    /** The phone's own time zone or locale, checked as a profile's would be; null when absent. */
    private static String identity(BodyFields body, String name, java.util.function.UnaryOperator<String> check) {
        String v = body.optionalString(name, 64);
        try {
            return v == null ? null : check.apply(v);
        } catch (ProfileInvalidException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private Accounts.Device device(UUID id) {
        return accounts.device(id).orElseThrow(() -> notFound("device"));
    }

    // --- leases ---

    private Response createLease(Request r) {
        BodyFields body = BodyFields.of(r);
        UUID customerId = body.requiredUuid("customer_id");
        UUID deviceId = body.requiredUuid("device_id");
        String protocol = body.optionalEnum("protocol", PROTOCOLS);
        Instant endsAt = body.optionalInstant("ends_at");
        if (endsAt != null && !endsAt.isAfter(clock.instant())) {
            throw ApiException.badRequest("ends_at must be in the future");
        }
        customer(customerId);
        device(deviceId);
        String proxy = protocol == null ? "socks5" : "none".equals(protocol) ? null : protocol;
        Accounts.Lease lease = unique("device " + deviceId + " already has an active lease",
                () -> accounts.createLease(customerId, deviceId, endsAt, proxy));
        if (proxy != null) {
            leaseCreated.leaseCreated(lease.id());
        }
        changed();
        return Response.created(leaseView(lease));
    }

    private Response listLeases(Request r) {
        UUID customerId = queryUuid(r, "customer_id");
        UUID deviceId = queryUuid(r, "device_id");
        String status = r.queryParam("status");
        if (status != null && !Set.of("active", "ended").contains(status)) {
            throw ApiException.badRequest("status must be active or ended");
        }
        return Response.ok(accounts.leases(customerId, deviceId, status).stream().map(this::leaseView).toList());
    }

    private Response endLease(Request r) {
        UUID id = r.uuidParam("id");
        lease(id);
        if (accounts.endLease(id)) {
            leaseEnds.leaseEnded(id);
        }
        changed();
        return Response.ok(leaseView(lease(id)));
    }

    /** The device view with its {@code health} (issue 15): agent reports, tunnel RTT, unhealthy marking, last rotation. */
    private static Map<String, Object> withHealth(Map<String, Object> device, Map<String, Object> health) {
        device.put("health", health);
        return device;
    }

    private Accounts.Lease lease(UUID id) {
        return accounts.lease(id).orElseThrow(() -> notFound("lease"));
    }

    private Map<String, Object> leaseView(Accounts.Lease l) {
        Map<String, Object> proxy = accounts.proxyForLease(l.id()).map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", p.id());
            m.put("protocol", p.protocol());
            m.put("username", p.username());
            m.put("url", proxies.url(p.protocol(), p.username(), p.password()));
            m.put("status", p.status());
            m.put("http_url", proxies.unifiedHttpUrl(p.username(), p.password()));
            m.put("socks5h_url", proxies.unifiedSocks5hUrl(p.username(), p.password()));
            return m;
        }).orElse(null);
        return AdminViews.lease(l, proxy);
    }

    // --- hosts ---

    private List<Map<String, Object>> hosts() {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT h.id, h.name, h.region, h.address, h.capacity, h.status, h.last_heartbeat_at, h.created_at,
                               (SELECT count(*) FROM browser_sessions s
                                 WHERE s.host_id = h.id AND s.status NOT IN ('gone', 'failed')) AS sessions
                        FROM browser_hosts h ORDER BY h.region, h.name""")
                .map((rs, ctx) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", rs.getObject("id", UUID.class));
                    m.put("name", rs.getString("name"));
                    m.put("region", rs.getString("region"));
                    m.put("address", rs.getString("address"));
                    m.put("capacity", rs.getInt("capacity"));
                    m.put("sessions", rs.getLong("sessions"));
                    m.put("status", rs.getString("status"));
                    m.put("last_heartbeat_at", rs.getTimestamp("last_heartbeat_at").toInstant());
                    m.put("created_at", rs.getTimestamp("created_at").toInstant());
                    return m;
                }).list());
    }

    // --- tickets ---

    private Response listTickets(Request r) {
        String status = r.queryParam("status");
        if (status != null && !Set.of("open", "closed").contains(status)) {
            throw ApiException.badRequest("status must be open or closed");
        }
        Boolean closed = status == null ? null : "closed".equals(status);
        return Response.ok(TicketView.of(tickets.list(queryUuid(r, "customer_id"), closed), true));
    }

    private Response replyTicket(Request r) {
        UUID id = r.uuidParam("id");
        String text = BodyFields.of(r).requiredString("body", CustomerApiRoutes.MAX_MESSAGE);
        return Response.created(TicketView.of(tickets.reply(id, null, "operator", text)
                .orElseThrow(CustomerApiRoutes::ticketNotFound), true));
    }

    // --- helpers ---

    /** Customer, key, device and lease changes show in the customer API at once on this replica. */
    private void changed() {
        auth.invalidate();
        deviceCache.invalidate();
    }

    private static UUID queryUuid(Request r, String name) {
        String v = r.queryParam(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        UUID id = Uuids.parseOrNull(v);
        if (id == null) {
            throw ApiException.badRequest(name + " must be a UUID");
        }
        return id;
    }

    private static ApiException notFound(String what) {
        return ApiException.notFound(what + " not found");
    }

    /** Runs an insert; a unique-constraint violation becomes 409 {@code conflict}. */
    private static <T> T unique(String message, Supplier<T> insert) {
        try {
            return insert.get();
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                    throw new ApiException(409, ErrorCode.CONFLICT, message);
                }
            }
            throw e;
        }
    }
}
