package com.aimlib.agent;

import com.aimlib.gateway.tunnel.TunnelSettings;
import java.time.Duration;

/** Agent-wide timing, tuning and egress policy; defaults in {@link #defaults()}. */
public record AgentSettings(
        TunnelSettings tunnel,
        Duration backoffMin,
        Duration backoffMax,
        Duration connectTimeout,
        Duration probeTimeout,
        Duration drainTimeout,
        Duration rotateTimeout,
        Duration commandTimeout,
        EgressPolicy egress) {

    /** The defaults, with the strict egress policy (no allow list). */
    public static AgentSettings defaults() {
        return new AgentSettings(TunnelSettings.defaults(), Duration.ofMillis(200), Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(90),
                Duration.ofSeconds(60), EgressPolicy.strict());
    }

    public AgentSettings withTunnel(TunnelSettings t) {
        return new AgentSettings(t, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, egress);
    }

    public AgentSettings withRotation(Duration drain, Duration rotate) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drain, rotate, commandTimeout, egress);
    }

    public AgentSettings withBackoff(Duration min, Duration max) {
        return new AgentSettings(tunnel, min, max, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, egress);
    }

    public AgentSettings withEgress(EgressPolicy policy) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, policy);
    }
}
