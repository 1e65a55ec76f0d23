package com.aimlib.sdk;

import com.aimlib.protocol.TicketBody;
import com.aimlib.protocol.TicketMessageBody;
import java.time.Instant;
import java.util.List;

/**
 * A support ticket with its thread. It is complete ({@code status "closed"}) only once both the customer and
 * the operator have closed it; any new message reopens it.
 */
public final class Ticket {
    private final TicketBody body;

    Ticket(TicketBody body) {
        this.body = body;
    }

    public String id() {
        return body.id().toString();
    }

    public String subject() {
        return body.subject();
    }

    /** {@code "open"} or {@code "closed"} (both sides closed). */
    public String status() {
        return body.status();
    }

    public boolean customerClosed() {
        return body.customerClosed();
    }

    public boolean operatorClosed() {
        return body.operatorClosed();
    }

    /** {@code "customer"}, {@code "operator"} or {@code "both"} while open; null once closed. */
    public String awaitingCloseFrom() {
        return body.awaitingCloseFrom();
    }

    /** The thread, in the order written; {@code author} is {@code "customer"} or {@code "operator"}. */
    public List<TicketMessageBody> messages() {
        return body.messages();
    }

    /** True only when {@code status} is {@code "closed"}. */
    public boolean complete() {
        return body.complete();
    }

    public Instant createdAt() {
        return body.createdAt();
    }

    public Instant updatedAt() {
        return body.updatedAt();
    }

    @Override
    public String toString() {
        return "Ticket[id=" + id() + ", subject=" + subject() + ", status=" + status() + ", awaitingCloseFrom="
                + awaitingCloseFrom() + ", messages=" + messages().size() + "]";
    }
}
