package com.aimlib.gateway.api;

import com.aimlib.store.Tickets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The documented ticket object. {@code awaiting_close_from} names who still has to close an open
 * ticket ("customer", "operator" or "both") and is null once the ticket is closed.
 */
public final class TicketView {
    private TicketView() {
    }

    public static Map<String, Object> of(Tickets.Ticket t, boolean withCustomer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        if (withCustomer) {
            m.put("customer_id", t.customerId());
        }
        m.put("subject", t.subject());
        m.put("status", t.closed() ? "closed" : "open");
        m.put("customer_closed", t.customerClosed());
        m.put("operator_closed", t.operatorClosed());
        m.put("awaiting_close_from", awaiting(t));
        m.put("messages", t.messages().stream().map(TicketView::message).toList());
        m.put("complete", t.closed());
        m.put("created_at", t.createdAt());
        m.put("updated_at", t.updatedAt());
        return m;
    }

    public static List<Map<String, Object>> of(List<Tickets.Ticket> tickets, boolean withCustomer) {
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

    private static Map<String, Object> message(Tickets.Message msg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("author", msg.author());
        m.put("body", msg.body());
        m.put("created_at", msg.createdAt());
        return m;
    }
}
