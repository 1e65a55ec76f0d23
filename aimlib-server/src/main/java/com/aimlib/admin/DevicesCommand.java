package com.aimlib.admin;

import static com.aimlib.admin.AdminClient.body;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "devices", mixinStandardHelpOptions = true, description = "Devices: register, list, set region/carrier/caps.",
        subcommands = {DevicesCommand.ListDevices.class, DevicesCommand.Register.class, DevicesCommand.Get.class,
                DevicesCommand.Set.class})
final class DevicesCommand implements Runnable {
    static final List<String> COLUMNS = List.of("id", "name", "region", "carrier", "status", "current_egress_ip",
            "max_browser_sessions", "monthly_cap_bytes");
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
}
