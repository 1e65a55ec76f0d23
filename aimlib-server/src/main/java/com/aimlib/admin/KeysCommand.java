package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "API keys: mint (shown once), list, revoke.",
        subcommands = {KeysCommand.Mint.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "kind", "customer_id", "name", "prefix", "scopes", "expires_at",
            "revoked_at", "last_used_at");
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    @Command(name = "mint", description = "Mint a customer key (--customer) or an operator key (--operator). The key is printed once.")
    static final class Mint extends AdminCall {
        @Option(names = "--customer", description = "Customer id")
        String customer;
        @Option(names = "--operator", description = "Mint an operator key instead")
        boolean operator;
        @Option(names = "--name", description = "A label for listings")
        String name;
        @Option(names = "--scope", split = ",", description = "proxies.read, sessions.write, tickets.write (default: all)")
        List<String> scopes;
        @Option(names = "--expires-at", description = "ISO-8601 instant, e.g. 2027-01-01T00:00:00Z")
        String expiresAt;

        @Override
        JsonNode call(AdminClient c) {
            if (operator == (customer != null)) {
                throw new AdminClient.AdminException("give exactly one of --customer <id> or --operator");
            }
            return c.post("/keys", body("kind", operator ? "operator" : null, "customer_id", customer, "name", name,
                    "scopes", scopes, "expires_at", expiresAt));
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }

        @Override
        void printTable(PrintWriter out, JsonNode result) {
            super.printTable(out, result);
            out.println();
            out.println("key: " + result.path("key").asText());
            out.println("This is the only time the key is shown; store it now.");
            out.flush();
        }
    }

    @Command(name = "list", description = "List keys, optionally of one customer and/or starting with a prefix.")
    static final class ListKeys extends AdminCall {
        @Option(names = "--customer", description = "Customer id")
        String customer;
        @Option(names = "--prefix", description = "Key prefix as shown in listings, e.g. ak_live_AbC")
        String prefix;

        @Override
        JsonNode call(AdminClient c) {
            Map<String, String> q = new java.util.LinkedHashMap<>();
            q.put("customer_id", customer);
            q.put("prefix", prefix);
            return c.get("/keys", q);
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }

    @Command(name = "revoke", description = "Revoke a key: refused from the next request on.")
    static final class Revoke extends AdminCall {
        @Parameters(index = "0", description = "Key id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/keys/" + id + "/revoke", Map.of());
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }
}
