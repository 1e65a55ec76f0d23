package com.aimlib.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Support tickets with the two-sided close: a ticket is closed only once both the customer and the
 * operator have closed it, and any new message (from either side) reopens it.
 * Blocking (JDBC): call from a virtual thread.
 */
public final class Tickets {
    private final Jdbi jdbi;

    public Tickets(Database db) {
        this.jdbi = db.jdbi();
    }

    public record Message(String author, String body, Instant createdAt) {
    }

    public record Ticket(UUID id, UUID customerId, String subject, boolean customerClosed, boolean operatorClosed,
                         Instant createdAt, Instant updatedAt, List<Message> messages) {
        public boolean closed() {
            return customerClosed && operatorClosed;
        }
    }

    /** Opens a ticket with its first message, written by the customer. */
    public Ticket create(UUID customerId, String subject, String body) {
        UUID id = UUID.randomUUID();
        return jdbi.inTransaction(h -> {
            h.createUpdate("INSERT INTO tickets (id, customer_id, subject) VALUES (:id, :customer, :subject)")
                    .bind("id", id).bind("customer", customerId).bind("subject", subject).execute();
            addMessage(h, id, "customer", body);
            return load(h, id).orElseThrow();
        });
    }

    /** The ticket, if it exists and (when {@code customerId} is set) belongs to that customer. */
    public Optional<Ticket> get(UUID id, UUID customerId) {
        return jdbi.withHandle(h -> load(h, id).filter(t -> customerId == null || t.customerId().equals(customerId)));
    }

    /** Tickets of one customer (or of all, when null), oldest first, each with its thread. */
    public List<Ticket> list(UUID customerId, Boolean closed) {
        return jdbi.withHandle(h -> {
            List<Ticket> heads = h.createQuery("""
                            SELECT * FROM tickets
                            WHERE (CAST(:customer AS uuid) IS NULL OR customer_id = CAST(:customer AS uuid))
                              AND (CAST(:closed AS boolean) IS NULL OR (customer_closed AND operator_closed) = CAST(:closed AS boolean))
                            ORDER BY created_at, id""")
                    .bind("customer", customerId).bind("closed", closed)
                    .map((rs, ctx) -> head(rs)).list();
            if (heads.isEmpty()) {
                return heads;
            }
            Map<UUID, List<Message>> threads = new LinkedHashMap<>();
            h.createQuery("SELECT ticket_id, author, body, created_at FROM ticket_messages WHERE ticket_id = ANY(:ids) ORDER BY id")
                    .bind("ids", heads.stream().map(Ticket::id).toArray(UUID[]::new))
                    .map((rs, ctx) -> Map.entry(rs.getObject("ticket_id", UUID.class), message(rs)))
                    .forEach(e -> threads.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
            return heads.stream().map(t -> withMessages(t, threads.getOrDefault(t.id(), List.of()))).toList();
        });
    }

    /** Adds a message and reopens the ticket (both close flags cleared). Empty when not found / not the customer's. */
    public Optional<Ticket> reply(UUID id, UUID customerId, String author, String body) {
        return jdbi.inTransaction(h -> {
            if (!lockOwned(h, id, customerId)) {
                return Optional.empty();
            }
            addMessage(h, id, author, body);
            h.createUpdate("UPDATE tickets SET customer_closed = false, operator_closed = false, updated_at = now() WHERE id = :id")
                    .bind("id", id).execute();
            return load(h, id);
        });
    }

    /** Closes one side ('customer' or 'operator'); closing an already closed side changes nothing. */
    public Optional<Ticket> close(UUID id, UUID customerId, String side) {
        String column = switch (side) {
            case "customer" -> "customer_closed";
            case "operator" -> "operator_closed";
            default -> throw new IllegalArgumentException("side " + side);
        };
        return jdbi.inTransaction(h -> {
            if (!lockOwned(h, id, customerId)) {
                return Optional.empty();
            }
            h.createUpdate("UPDATE tickets SET " + column + " = true, updated_at = now() WHERE id = :id AND NOT " + column)
                    .bind("id", id).execute();
            return load(h, id);
        });
    }

    private static boolean lockOwned(Handle h, UUID id, UUID customerId) {
        return h.createQuery("""
                        SELECT 1 FROM tickets WHERE id = :id AND (CAST(:customer AS uuid) IS NULL OR customer_id = CAST(:customer AS uuid))
                        FOR UPDATE""")
                .bind("id", id).bind("customer", customerId).mapTo(Integer.class).findOne().isPresent();
    }

    private static void addMessage(Handle h, UUID ticketId, String author, String body) {
        h.createUpdate("INSERT INTO ticket_messages (ticket_id, author, body) VALUES (:t, :author, :body)")
                .bind("t", ticketId).bind("author", author).bind("body", body).execute();
    }

    private static Optional<Ticket> load(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM tickets WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> head(rs)).findOne()
                .map(t -> withMessages(t, h.createQuery(
                                "SELECT author, body, created_at FROM ticket_messages WHERE ticket_id = :id ORDER BY id")
                        .bind("id", id).map((rs, ctx) -> message(rs)).list()));
    }

    private static Ticket withMessages(Ticket t, List<Message> messages) {
        return new Ticket(t.id(), t.customerId(), t.subject(), t.customerClosed(), t.operatorClosed(), t.createdAt(),
                t.updatedAt(), List.copyOf(messages));
    }

    private static Ticket head(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Ticket(rs.getObject("id", UUID.class), rs.getObject("customer_id", UUID.class), rs.getString("subject"),
                rs.getBoolean("customer_closed"), rs.getBoolean("operator_closed"), Accounts.instant(rs, "created_at"),
                Accounts.instant(rs, "updated_at"), List.of());
    }

    private static Message message(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Message(rs.getString("author"), rs.getString("body"), Accounts.instant(rs, "created_at"));
    }
}
