package com.aimlib.gateway.api;

import com.aimlib.protocol.TicketBody;
import com.aimlib.protocol.TicketMessageBody;
import com.aimlib.store.Tickets;
import java.util.List;

/**
 * The documented ticket object. {@code awaiting_close_from} names who still has to close an open
 * ticket ("customer", "operator" or "both") and is null once the ticket is closed.
 */
public final class TicketView {
    private TicketView() {
    }

    public static TicketBody of(Tickets.Ticket t, boolean withCustomer) {
        return new TicketBody(t.id(), withCustomer ? t.customerId() : null, t.subject(), t.closed() ? "closed" : "open",
                t.customerClosed(), t.operatorClosed(), awaiting(t),
                t.messages().stream().map(m -> new TicketMessageBody(m.author(), m.body(), m.createdAt())).toList(),
                t.closed(), t.createdAt(), t.updatedAt());
    }

    public static List<TicketBody> of(List<Tickets.Ticket> tickets, boolean withCustomer) {
        return tickets.stream().map(t -> of(t, withCustomer)).toList();
    }

    private static String awaiting(Tickets.Ticket t) {
        if (t.customerClosed() && t.operatorClosed()) {
            return null;
        }
        if (t.customerClosed()) {
            return "operator";
        }
        return t.operatorClosed() ? "customer" : "both";
    }
}
