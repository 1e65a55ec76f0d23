package com.aimlib.sdk;

import com.aimlib.protocol.TicketBody;
import com.aimlib.protocol.TicketCreateRequest;
import com.aimlib.protocol.TicketReplyRequest;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;

/** Support tickets ({@code /v1/tickets}): file, list, read, reply (reopens) and close your side. */
public final class Tickets {
    private static final TypeReference<TicketBody> ONE = new TypeReference<>() {
    };
    private static final TypeReference<List<TicketBody>> LIST = new TypeReference<>() {
    };
    private final Transport transport;

    Tickets(Transport transport) {
        this.transport = transport;
    }

    /** Files a ticket; it starts {@code open}. */
    public Ticket create(String subject, String body) {
        return new Ticket(transport.call("POST", "/v1/tickets", new TicketCreateRequest(subject, body), ONE));
    }

    /** Your tickets, oldest first. */
    public List<Ticket> list() {
        return transport.call("GET", "/v1/tickets", null, LIST).stream().map(Ticket::new).toList();
    }

    /** One ticket with its full thread. */
    public Ticket get(String id) {
        return new Ticket(transport.call("GET", "/v1/tickets/" + id, null, ONE));
    }

    /** Adds a message; reopens the ticket if it was closed. */
    public Ticket reply(String id, String body) {
        return new Ticket(transport.call("POST", "/v1/tickets/" + id + "/messages", new TicketReplyRequest(body), ONE));
    }

    /** Closes your side; the ticket is complete once the operator has closed too. */
    public Ticket close(String id) {
        return new Ticket(transport.call("POST", "/v1/tickets/" + id + "/close", null, ONE));
    }
}
