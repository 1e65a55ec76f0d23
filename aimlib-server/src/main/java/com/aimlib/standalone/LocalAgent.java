package com.aimlib.standalone;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.tunnel.AgentStore;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent {@code aimlib standalone} runs in-process for its demo device: it egresses from this machine's
 * own network (default route), dials the gateway's tunnel endpoint on loopback with a freshly minted token.
 */
public final class LocalAgent {
    private static final Logger log = LoggerFactory.getLogger(LocalAgent.class);

    private LocalAgent() {
    }

    /**
     * Starts the agent for the device called {@code deviceName}, probing its egress IP at {@code whatIsMyIpUrl}
     * (may be null: no probe) and connecting customers where {@code egress} allows; null (and a log line) when
     * there is no such device.
     */
    public static Agent startIfPresent(Gateway gateway, String deviceName, String whatIsMyIpUrl, EgressPolicy egress)
            throws IOException {
        AgentStore store = new AgentStore(gateway.db());
        Optional<UUID> id = store.deviceIdByName(deviceName);
        if (id.isEmpty()) {
            log.warn("event=local_agent_skipped device_name={} reason=no_such_device", deviceName);
            return null;
        }
        String token = store.mintToken(id.get()).orElseThrow().token();
        String host = gateway.config().bindHost();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        Agent agent = Agent.start(host, gateway.tunnelPort(), false,
                List.of(new DeviceConfig(id.get(), token, "default", null, null, whatIsMyIpUrl, 2)),
                AgentSettings.defaults().withEgress(egress), 1);
        log.info("event=local_agent_started device={} egress={}", id.get(), egress);
        return agent;
    }
}
