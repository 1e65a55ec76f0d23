package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Devices: register, list (with health), set region/carrier/caps, agent token, rotate, egress history.",
        subcommands = {DevicesCommand.ListDevices.class, DevicesCommand.Register.class, DevicesCommand.Get.class,
                DevicesCommand.Set.class, DevicesCommand.AgentToken.class, DevicesCommand.Rotate.class,
                DevicesCommand.EgressHistory.class})
final class DevicesCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "name", "region", "carrier", "status", "current_egress_ip",
            "max_browser_sessions", "monthly_cap_bytes", "health.status", "health.network_type", "health.rtt_ms");
    /** One device: the list's columns and the rest of its health. */
    static final List<String> DETAIL = java.util.stream.Stream.concat(COLUMNS.stream(), java.util.stream.Stream.of(
            "health.signal_dbm", "health.battery_pct", "health.temperature_c", "health.last_egress_at", "health.unhealthy_since",
            "health.last_rotation_at", "health.reported_at", "health.probe_error")).toList();
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    abstract static class DeviceCall extends AdminCall {
        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }

    @Command(name = "list", description = "List devices.")
    static final class ListDevices extends DeviceCall {
        @Override
        JsonNode call(AdminClient c) {
            return c.get("/devices");
        }
    }

    @Command(name = "get", description = "Show one device.")
    static final class Get extends DeviceCall {
        @Parameters(index = "0", description = "Device id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.get("/devices/" + id);
        }

        @Override
        List<String> columns() {
            return DETAIL;
        }
    }

    @Command(name = "register", description = "Register a device.")
    static final class Register extends DeviceCall {
        @Parameters(index = "0", description = "Device name (unique)")
        String name;
        @Option(names = "--region", description = "Region (default: the gateway's region)")
        String region;
        @Option(names = "--carrier", description = "Mobile carrier")
        String carrier;
        @Option(names = "--max-sessions", description = "Concurrent browser sessions on this device (default 1)")
        Integer maxSessions;
        @Option(names = "--monthly-cap-bytes", description = "Monthly cellular cap in bytes (default: none)")
        Long monthlyCap;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/devices", body("name", name, "region", region, "carrier", carrier,
                    "max_browser_sessions", maxSessions, "monthly_cap_bytes", monthlyCap));
        }
    }

    @Command(name = "set", description = "Change a device's region, carrier or caps.")
    static final class Set extends DeviceCall {
        @Parameters(index = "0", description = "Device id")
        String id;
        @Option(names = "--region")
        String region;
        @Option(names = "--carrier")
        String carrier;
        @Option(names = "--max-sessions")
        Integer maxSessions;
        @Option(names = "--monthly-cap-bytes")
        Long monthlyCap;
        @Option(names = "--timezone", description = "The phone's IANA time zone, its sessions' default")
        String timezone;
        @Option(names = "--locale", description = "The phone's locale (BCP 47), its sessions' default")
        String locale;

        @Override
        JsonNode call(AdminClient c) {
            return c.patch("/devices/" + id, body("region", region, "carrier", carrier,
                    "max_browser_sessions", maxSessions, "monthly_cap_bytes", monthlyCap, "timezone", timezone, "locale", locale));
        }
    }

    @Command(name = "agent-token", description = "Mint the token the device's agent connects with (shown once; "
            + "replaces the previous one).")
    static final class AgentToken extends AdminCall {
        @Parameters(index = "0", description = "Device id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/devices/" + id + "/agent-token", java.util.Map.of());
        }

        @Override
        List<String> columns() {
            return List.of("device_id", "agent_token_prefix", "agent_token");
        }

        @Override
        void printTable(java.io.PrintWriter out, JsonNode result) {
            super.printTable(out, result);
            out.println("The token is shown once: start the agent with  aimlib agent --device-id " + id + " --token "
                    + result.path("agent_token").asText());
            out.flush();
        }
    }

    @Command(name = "rotate", description = "Ask the device's agent for a new egress IP and wait for it (up to 3 min).")
    static final class Rotate extends AdminCall {
        @Parameters(index = "0", description = "Device id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.post("/devices/" + id + "/rotate", java.util.Map.of());
        }

        @Override
        List<String> columns() {
            return List.of("device_id", "previous_ip", "egress_ip");
        }
    }

    @Command(name = "egress-history", description = "The device's last 100 egress IPs, newest first.")
    static final class EgressHistory extends AdminCall {
        @Parameters(index = "0", description = "Device id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.get("/devices/" + id + "/egress-history");
        }

        @Override
        List<String> columns() {
            return List.of("ip", "observed_at");
        }

        @Override
        void printTable(java.io.PrintWriter out, JsonNode result) {
            Table.print(out, result.path("data"), columns());
        }
    }
}
