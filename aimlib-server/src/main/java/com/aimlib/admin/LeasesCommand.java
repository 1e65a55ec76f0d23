package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "leases", mixinStandardHelpOptions = true, description = "Leases: create (with an http or socks5 proxy), list, show, end.",
        subcommands = {LeasesCommand.ListLeases.class, LeasesCommand.Get.class, LeasesCommand.Create.class, LeasesCommand.End.class})
final class LeasesCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "customer_id", "device_id", "status", "ends_at", "proxy_url");
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    abstract static class LeaseCall extends AdminCall {
        @Override
        List<String> columns() {
            return COLUMNS;
        }

        /** Lifts {@code proxy.url} into a column; ENDS AT says when an ended lease ended, or that an open one has no end. */
        @Override
        void printTable(java.io.PrintWriter out, JsonNode result) {
            com.fasterxml.jackson.databind.node.ArrayNode rows = AdminClient.MAPPER.createArrayNode();
            (result.isArray() ? result : AdminClient.MAPPER.createArrayNode().add(result)).forEach(r -> {
                com.fasterxml.jackson.databind.node.ObjectNode row = r.deepCopy();
                row.set("proxy_url", r.path("proxy").path("url"));
                row.put("ends_at", endsAt(r));
                rows.add(row);
            });
            Table.print(out, rows, columns());
        }
    }

    static String endsAt(JsonNode lease) {
        JsonNode ended = lease.path("ended_at");
        if (!ended.isMissingNode() && !ended.isNull()) {
            return "ended at " + ended.asText();
        }
        JsonNode ends = lease.path("ends_at");
        return ends.isMissingNode() || ends.isNull() ? "open-ended" : ends.asText();
    }

    @Command(name = "get", description = "Show one lease.")
    static final class Get extends LeaseCall {
        @Parameters(index = "0", description = "Lease id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.get("/leases/" + id);
        }
    }

    @Command(name = "list", description = "List leases.")
    static final class ListLeases extends LeaseCall {
        @Option(names = "--customer", description = "Customer id")
        String customer;
        @Option(names = "--device", description = "Device id")
        String device;
        @Option(names = "--status", description = "active or ended")
        String status;

        @Override
        JsonNode call(AdminClient c) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("customer_id", customer);
            q.put("device_id", device);
            q.put("status", status);
            return c.get("/leases", q);
        }
    }

    @Command(name = "create", description = "Lease a device to a customer, with a proxy.")
    static final class Create extends LeaseCall {
        @Option(names = "--customer", required = true, description = "Customer id")
        String customer;
        @Option(names = "--device", required = true, description = "Device id")
        String device;
        @Option(names = "--protocol", defaultValue = "socks5", description = "socks5, http or none (default ${DEFAULT-VALUE})")
        String protocol;
        @Option(names = "--ends-at", description = "ISO-8601 instant; open-ended when left out")
        String endsAt;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/leases", body("customer_id", customer, "device_id", device, "protocol", protocol, "ends_at", endsAt));
        }
    }

    @Command(name = "end", description = "End a lease now.")
    static final class End extends LeaseCall {
        @Parameters(index = "0", description = "Lease id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/leases/" + id + "/end", Map.of());
        }
    }
}
