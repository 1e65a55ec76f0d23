package com.aimlib.agent;

import com.aimlib.net.tunnel.TunnelSettings;
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
        EgressPolicy egress,
        Duration probeMaxAge) {

    /** The defaults, with the strict egress policy (no allow list). */
    public static AgentSettings defaults() {
        return new AgentSettings(TunnelSettings.defaults(), Duration.ofMillis(200), Duration.ofSeconds(30),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(90),
                Duration.ofSeconds(60), EgressPolicy.strict(), Duration.ofSeconds(30));
    }

    public AgentSettings withTunnel(TunnelSettings t) {
        return new AgentSettings(t, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, egress, probeMaxAge);
    }

    public AgentSettings withRotation(Duration drain, Duration rotate) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drain, rotate, commandTimeout, egress, probeMaxAge);
    }

    public AgentSettings withBackoff(Duration min, Duration max) {
        return new AgentSettings(tunnel, min, max, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, egress, probeMaxAge);
    }

    /** How long the rotate and restore commands may run before they are killed (a hung command is a timeout). */
    public AgentSettings withCommandTimeout(Duration command) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, command, egress, probeMaxAge);
    }

    /** A status request older than this re-probes the egress IP: how soon a change the carrier made is noticed. */
    public AgentSettings withProbeMaxAge(Duration age) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, egress, age);
    }

    public AgentSettings withEgress(EgressPolicy policy) {
        return new AgentSettings(tunnel, backoffMin, backoffMax, connectTimeout, probeTimeout, drainTimeout, rotateTimeout, commandTimeout, policy, probeMaxAge);
    }
}
