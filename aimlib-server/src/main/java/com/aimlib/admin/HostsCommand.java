package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "hosts", mixinStandardHelpOptions = true, description = "Browser hosts and their load.",
        subcommands = {HostsCommand.ListHosts.class})
final class HostsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    @Command(name = "list", description = "List browser hosts.")
    static final class ListHosts extends AdminCall {
        @Override
        JsonNode call(AdminClient c) {
            return c.get("/hosts");
        }

        @Override
        List<String> columns() {
            return List.of("id", "name", "region", "address", "status", "sessions", "capacity", "last_heartbeat_at");
        }
    }
}
