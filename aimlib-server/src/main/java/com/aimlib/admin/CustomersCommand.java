package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "customers", mixinStandardHelpOptions = true, description = "Customers: create, list, suspend, reactivate, caps.",
        subcommands = {CustomersCommand.ListCustomers.class, CustomersCommand.Create.class, CustomersCommand.Get.class,
                CustomersCommand.Suspend.class, CustomersCommand.Reactivate.class, CustomersCommand.SetSessions.class})
final class CustomersCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "name", "status", "max_browser_sessions", "created_at");
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    abstract static class CustomerCall extends AdminCall {
        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }

    @Command(name = "list", description = "List customers.")
    static final class ListCustomers extends CustomerCall {
        @Override
        JsonNode call(AdminClient c) {
            return c.get("/customers");
        }
    }

    @Command(name = "create", description = "Create a customer.")
    static final class Create extends CustomerCall {
        @Parameters(index = "0", description = "Customer name (unique)")
        String name;
        @Option(names = "--max-sessions", description = "Concurrent browser sessions (default 5)")
        Integer maxSessions;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/customers", body("name", name, "max_browser_sessions", maxSessions));
        }
    }

    @Command(name = "get", description = "Show one customer.")
    static final class Get extends CustomerCall {
        @Parameters(index = "0", description = "Customer id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.get("/customers/" + id);
        }
    }

    @Command(name = "suspend", description = "Suspend a customer: its keys get 403 lease_inactive.")
    static final class Suspend extends CustomerCall {
        @Parameters(index = "0", description = "Customer id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/customers/" + id + "/suspend", Map.of());
        }
    }

    @Command(name = "reactivate", description = "Reactivate a suspended customer.")
    static final class Reactivate extends CustomerCall {
        @Parameters(index = "0", description = "Customer id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/customers/" + id + "/reactivate", Map.of());
        }
    }

    @Command(name = "set-sessions", description = "Set a customer's concurrent browser session cap.")
    static final class SetSessions extends CustomerCall {
        @Parameters(index = "0", description = "Customer id")
        String id;
        @Parameters(index = "1", description = "Maximum concurrent browser sessions")
        int max;

        @Override
        JsonNode call(AdminClient c) {
            return c.patch("/customers/" + id, body("max_browser_sessions", max));
        }
    }
}
