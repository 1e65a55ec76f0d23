package com.aimlib.agent;

import com.aimlib.ProcessLifetime;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aimlib agent}: serves devices through the gateway's tunnel. One device from the options, or any
 * number from a JSON file ({@code --config}):
 * <pre>
 * {"gateway": "gw.example:7783", "tls": true, "egress_allow": "10.20.0.0/16,db.internal:5432",
 *  "devices": [{"id": "…", "token": "at_…", "bind": "if:usb0", "carrier": "T-Mobile",
 *               "rotate_command": "adb -s X shell cmd connectivity airplane-mode enable; …",
 *               "restore_command": "adb -s X shell cmd connectivity airplane-mode disable",
 *               "what_is_my_ip_url": "https://api.ipify.org", "pool": 2,
 *               "health_command": "/opt/farm/phone-health X"}]}
 * </pre>
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the device agent: dial the gateway and open proxied connections from each device's own network.")
public final class AgentCommand implements Callable<Integer> {

    @Option(names = "--config", description = "JSON file with gateway, tls and devices")
    Path config;

    @Option(names = "--gateway", description = "Gateway tunnel endpoint host:port (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1:7783")
    String gateway;

    @Option(names = "--tls", description = "Dial the gateway over TLS")
    boolean tls;

    @Option(names = "--device-id", description = "Device id (single-device mode)")
    UUID deviceId;

    @Option(names = "--token", description = "Agent token (env AIMLIB_AGENT_TOKEN)", defaultValue = "${env:AIMLIB_AGENT_TOKEN}")
    String token;

    @Option(names = "--bind", description = "Egress binding: IP address, if:<interface>, file:<path> or default", defaultValue = "default")
    String bind;

    @Option(names = "--carrier", description = "Carrier name reported to the gateway")
    String carrier;

    @Option(names = "--timezone", description = "The phone's IANA time zone, reported to the gateway (default: this process's own, unless UTC)")
    String timezone;

    @Option(names = "--locale", description = "The phone's locale as a BCP 47 tag, reported to the gateway (default: this process's own, unless C/POSIX)")
    String locale;

    @Option(names = "--rotate-command", description = "Shell command that changes the device's IP")
    String rotateCommand;

    @Option(names = "--restore-command", description = "Shell command run after a failed or timed-out rotation to bring the network back")
    String restoreCommand;

    @Option(names = "--rotate-command-timeout-s", description = "Seconds the rotate or restore command may run (default ${DEFAULT-VALUE})", defaultValue = "60")
    int commandTimeoutS;

    @Option(names = "--rotate-wait-s", description = "Seconds to wait for a different egress IP after the rotate command (default ${DEFAULT-VALUE})", defaultValue = "90")
    int rotateWaitS;

    @Option(names = "--what-is-my-ip-url", description = "URL answering the caller's address, fetched from the binding")
    String whatIsMyIpUrl;

    @Option(names = "--health-command", description = "Shell command printing the device's health as JSON: "
            + "{\"signal_dbm\":-95,\"network_type\":\"LTE\",\"battery_pct\":80,\"temperature_c\":31.5} (any field may be missing)")
    String healthCommand;

    @Option(names = "--egress-allow", defaultValue = "${env:AIMLIB_EGRESS_ALLOW}",
            description = "Comma-separated CIDRs, addresses and host:ports customers may reach although the egress policy "
                    + "refuses them by default (loopback, private, link-local, this host's addresses); env AIMLIB_EGRESS_ALLOW")
    String egressAllow;

    @Option(names = "--pool", description = "Tunnel connections per device (default ${DEFAULT-VALUE})", defaultValue = "2")
    int pool;

    @Option(names = "--ping-interval-ms", description = "Keep-alive PING interval (default ${DEFAULT-VALUE})", defaultValue = "5000")
    long pingMs;

    @Option(names = "--dead-after-ms", description = "Reconnect when nothing was read for this long (default ${DEFAULT-VALUE})", defaultValue = "15000")
    long deadMs;

    @Option(names = "--stream-window-kib", description = "HTTP/2 receive window per stream (default ${DEFAULT-VALUE})", defaultValue = "8192")
    int streamWindowKib;

    @Option(names = "--connection-window-kib", description = "HTTP/2 receive window per tunnel connection (default ${DEFAULT-VALUE})", defaultValue = "32768")
    int connectionWindowKib;

    @Override
    public Integer call() throws Exception {
        List<DeviceConfig> devices = new ArrayList<>();
        String gw = gateway;
        boolean useTls = tls;
        List<String> allow = new ArrayList<>();
        if (egressAllow != null && !egressAllow.isBlank()) {
            allow.add(egressAllow);
        }
        if (config != null) {
            ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            JsonNode root = mapper.readTree(config.toFile());
            if (root.hasNonNull("gateway")) {
                gw = root.get("gateway").asText();
            }
            useTls = useTls || root.path("tls").asBoolean(false);
            if (root.hasNonNull("egress_allow")) {
                allow.add(root.get("egress_allow").asText());
            }
            for (JsonNode d : root.path("devices")) {
                devices.add(mapper.treeToValue(d, DeviceConfig.class));
            }
        }
        if (deviceId != null) {
            devices.add(new DeviceConfig(deviceId, token, bind, carrier, rotateCommand, whatIsMyIpUrl, pool, restoreCommand, healthCommand,
                    timezone, locale));
        }
        if (devices.isEmpty()) {
            System.err.println("no devices: give --config or --device-id with --token");
            return 2;
        }
        int colon = gw.lastIndexOf(':');
        if (colon <= 0) {
            System.err.println("--gateway must be host:port");
            return 2;
        }
        if (streamWindowKib < 64 || streamWindowKib > 1 << 20 || connectionWindowKib < streamWindowKib || connectionWindowKib > 2 << 20) {
            System.err.println("windows: 64 KiB ≤ stream window ≤ connection window ≤ 2 GiB");
            return 2;
        }
        EgressPolicy egress;
        try {
            egress = EgressPolicy.parse(String.join(",", allow));
        } catch (IllegalArgumentException e) {
            System.err.println("--egress-allow: " + e.getMessage());
            return 2;
        }
        if (commandTimeoutS < 1 || commandTimeoutS > 3600 || rotateWaitS < 1 || rotateWaitS > 3600) {
            System.err.println("--rotate-command-timeout-s and --rotate-wait-s: 1..3600");
            return 2;
        }
        AgentSettings settings = AgentSettings.defaults().withEgress(egress).withCommandTimeout(Duration.ofSeconds(commandTimeoutS))
                .withRotation(AgentSettings.defaults().drainTimeout(), Duration.ofSeconds(rotateWaitS)).withTunnel(AgentSettings.defaults().tunnel()
                .withKeepAlive(Duration.ofMillis(pingMs), Duration.ofMillis(deadMs))
                .withWindows(Math.min(streamWindowKib << 10, Integer.MAX_VALUE), (int) Math.min((long) connectionWindowKib << 10, Integer.MAX_VALUE)));
        ProcessLifetime lifetime = new ProcessLifetime("agent");
        lifetime.own(Agent.start(gw.substring(0, colon), Integer.parseInt(gw.substring(colon + 1)), useTls, devices, settings, 0));
        System.out.println("aimlib agent is up: " + devices.size() + " device(s) via " + gw + ", egress " + egress);
        lifetime.awaitStop();
        return 0;
    }
}
