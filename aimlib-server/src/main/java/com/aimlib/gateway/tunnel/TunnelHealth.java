package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelProtocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Asks a connected device how it is: an HTTP/2 PING on one of its tunnel connections (the round trip) and
 * {@code GET /agent/v1/health} (what the agent's health command and egress probe say). Blocking: call on a
 * virtual thread.
 */
public final class TunnelHealth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DeviceTunnels tunnels;

    public TunnelHealth(DeviceTunnels tunnels) {
        this.tunnels = tunnels;
    }

    /** What the agent said ({@code null} when it did not answer in time) and the tunnel's last RTT (null before the first). */
    public record Sample(JsonNode agent, Double rttMs) {
    }

    /** Empty when the device has no usable tunnel connection here. */
    public Optional<Sample> sample(UUID deviceId, Duration timeout) {
        TunnelConnection connection = tunnels.anyConnection(deviceId);
        if (connection == null) {
            return Optional.empty();
        }
        connection.ping();
        JsonNode agent = null;
        try {
            ControlCallHandler.Answer answer = connection.control("GET", TunnelProtocol.HEALTH_PATH, timeout).join();
            if (answer.status() == 200) {
                agent = JSON.readTree(answer.body());
            }
        } catch (Exception e) {
            // No answer is news too: the device is connected but not answering (egress unknown this round).
        }
        long rtt = connection.rttNanos();
        return Optional.of(new Sample(agent, rtt < 0 ? null : Math.round(rtt / 1_000.0) / 1_000.0));
    }
}
