package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tickets", mixinStandardHelpOptions = true, description = "Support tickets: list all, show, reply, close the operator side.",
        subcommands = {TicketsCommand.ListTickets.class, TicketsCommand.Show.class, TicketsCommand.Reply.class,
                TicketsCommand.Close.class})
final class TicketsCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "customer_id", "status", "awaiting_close_from", "subject", "updated_at");
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    /** A single ticket: its state, then the thread. */
    abstract static class OneTicket extends AdminCall {
        @Parameters(index = "0", description = "Ticket id")
        String id;

        @Override
        List<String> columns() {
            return COLUMNS;
        }

        @Override
        void printTable(PrintWriter out, JsonNode t) {
            Table.print(out, t, columns());
            out.println();
            for (JsonNode m : t.path("messages")) {
                out.println("[" + m.path("created_at").asText() + "] " + m.path("author").asText() + ": " + m.path("body").asText());
            }
            out.flush();
        }
    }

    @Command(name = "list", description = "List tickets of all customers.")
    static final class ListTickets extends AdminCall {
        @Option(names = "--status", description = "open or closed")
        String status;
        @Option(names = "--customer", description = "Customer id")
        String customer;

        @Override
        JsonNode call(AdminClient c) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("status", status);
            q.put("customer_id", customer);
            return c.get("/tickets", q);
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }

    @Command(name = "show", description = "Show a ticket and its thread.")
    static final class Show extends OneTicket {
        @Override
        JsonNode call(AdminClient c) {
            return c.get("/tickets/" + id);
        }
    }

    @Command(name = "reply", description = "Reply as the operator (reopens the ticket).")
    static final class Reply extends OneTicket {
        @Parameters(index = "1", description = "Message text")
        String message;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/tickets/" + id + "/messages", body("body", message));
        }
    }

    @Command(name = "close", description = "Close the operator side; the ticket is complete once the customer closes too.")
    static final class Close extends OneTicket {
        @Override
        JsonNode call(AdminClient c) {
            return c.post("/tickets/" + id + "/close", Map.of());
        }
    }
}
