package com.aimlib.gateway.api;

import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.auth.CustomerPrincipal;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.protocol.BrowserAvailabilityBody;
import com.aimlib.protocol.DeviceBody;
import com.aimlib.protocol.LeaseBody;
import com.aimlib.protocol.ProxyBody;
import com.aimlib.store.LeasedDevices;
import com.aimlib.store.Tickets;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The customer REST surface {@code /v1} (except the browser endpoints, which the session component
 * registers), as the customer documentation specifies it:
 * <ul>
 *   <li>{@code GET  /v1/devices} (proxies.read) — devices on the caller's active leases</li>
 *   <li>{@code POST /v1/tickets} (tickets.write) — file a ticket {@code {"subject","body"}}</li>
 *   <li>{@code GET  /v1/tickets} (tickets.write) — the caller's tickets</li>
 *   <li>{@code GET  /v1/tickets/{id}} (tickets.write) — one ticket with its thread</li>
 *   <li>{@code POST /v1/tickets/{id}/messages} (tickets.write) — reply {@code {"body"}}; reopens</li>
 *   <li>{@code POST /v1/tickets/{id}/close} (tickets.write) — close the customer's side</li>
 * </ul>
 */
public final class CustomerApiRoutes {
    private static final Logger log = LoggerFactory.getLogger(CustomerApiRoutes.class);
    public static final int MAX_SUBJECT = 200;
    public static final int MAX_MESSAGE = 10_000;
    private static final String JSON = "application/json";

    private final LeasedDevices leased;
    private final Tickets tickets;
    private final ProxyEndpoints proxies;
    private final DeviceListCache deviceCache;
    private final Clock clock;

    public CustomerApiRoutes(LeasedDevices leased, Tickets tickets, ProxyEndpoints proxies, DeviceListCache deviceCache, Clock clock) {
        this.leased = leased;
        this.tickets = tickets;
        this.proxies = proxies;
        this.deviceCache = deviceCache;
        this.clock = clock;
    }

    public void register(Router router, ApiKeyAuth auth) {
        router.get("/v1/devices", auth.customer("proxies.read", this::devices));
        router.post("/v1/tickets", auth.customer("tickets.write", this::createTicket));
        router.get("/v1/tickets", auth.customer("tickets.write", this::listTickets));
        router.get("/v1/tickets/{id}", auth.customer("tickets.write", this::getTicket));
        router.post("/v1/tickets/{id}/messages", auth.customer("tickets.write", this::reply));
        router.post("/v1/tickets/{id}/close", auth.customer("tickets.write", this::close));
    }

    private Response devices(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        String json;
        try {
            json = deviceCache.get(customer, () -> render(leased.active(customer, clock.instant())));
        } catch (RuntimeException e) {
            log.error("device listing failed customer={}", customer, e);
            throw ApiException.serverError();
        }
        return Response.ok(new Response.Text(JSON, json));
    }

    private String render(List<LeasedDevices.LeasedDevice> devices) {
        List<DeviceBody> out = devices.stream().map(this::device).toList();
        try {
            return Json.MAPPER.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private DeviceBody device(LeasedDevices.LeasedDevice d) {
        LeasedDevices.LeasedProxy p = d.proxy();
        ProxyBody proxy = p == null ? null
                : new ProxyBody(p.id(), p.protocol(), proxies.url(p.protocol(), p.username(), p.password()), p.status(),
                        proxies.unifiedHttpUrl(p.username(), p.password()), proxies.unifiedSocks5hUrl(p.username(), p.password()));
        return new DeviceBody(d.deviceId(), d.region(), d.carrier(), new LeaseBody(d.leaseId(), d.leaseEndsAt()),
                p == null ? null : d.currentEgressIp(), proxy, BrowserAvailabilityBody.AVAILABLE, d.health());
    }

    private Response createTicket(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        BodyFields body = BodyFields.of(r);
        String subject = body.requiredString("subject", MAX_SUBJECT);
        String text = body.requiredString("body", MAX_MESSAGE);
        return Response.created(TicketView.of(tickets.create(customer, subject, text), false));
    }

    private Response listTickets(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        return Response.ok(TicketView.of(tickets.list(customer, null), false));
    }

    private Response getTicket(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        UUID id = r.uuidParam("id");
        return Response.ok(TicketView.of(tickets.get(id, customer).orElseThrow(CustomerApiRoutes::ticketNotFound), false));
    }

    private Response reply(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        UUID id = r.uuidParam("id");
        String text = BodyFields.of(r).requiredString("body", MAX_MESSAGE);
        return Response.created(TicketView.of(tickets.reply(id, customer, "customer", text)
                .orElseThrow(CustomerApiRoutes::ticketNotFound), false));
    }

    private Response close(Request r) {
        UUID customer = r.principal(CustomerPrincipal.class).customerId();
        UUID id = r.uuidParam("id");
        return Response.ok(TicketView.of(tickets.close(id, customer, "customer")
                .orElseThrow(CustomerApiRoutes::ticketNotFound), false));
    }

    /** The short form, like the documented {@code "device not found"}. */
    public static ApiException ticketNotFound() {
        return ApiException.shortForm(404, "ticket not found");
    }
}
