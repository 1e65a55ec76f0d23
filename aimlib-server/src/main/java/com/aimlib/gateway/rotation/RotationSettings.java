package com.aimlib.gateway.rotation;

import java.time.Duration;

/**
 * How customer rotations are paced and bounded; defaults in {@link #defaults()}.
 *
 * @param minInterval     the least time between the starts of two rotations of one device (429 {@code rotation_too_soon})
 * @param bound           how long the gateway waits for the agent's answer before the operation is a {@code timeout};
 *                        longer than the agent's own worst case (drain + command + probing + restore)
 * @param waitDefault     how long {@code {"wait": true}} blocks when the request names no {@code timeout}
 * @param waitMax         the largest {@code timeout} a request may name
 * @param queueTimeout    a queued operation no replica with the device's tunnel claimed within this fails ({@code device_offline})
 * @param pollPeriod      how often each replica looks for queued operations of devices whose tunnels it holds, and
 *                        for due schedules; {@link Duration#ZERO} turns the background loop off (tests call
 *                        {@link RotationService#tick()} themselves)
 * @param observePeriod   how often the gateway asks each device's agent for its egress IP, which is how a change
 *                        the carrier made on its own reaches the IP history
 */
public record RotationSettings(Duration minInterval, Duration bound, Duration waitDefault, Duration waitMax,
                               Duration queueTimeout, Duration pollPeriod, Duration observePeriod) {

    public static RotationSettings defaults() {
        return new RotationSettings(Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofSeconds(120),
                Duration.ofSeconds(300), Duration.ofSeconds(30), Duration.ofMillis(500), Duration.ofSeconds(60));
    }

    public RotationSettings withMinInterval(Duration d) {
        return new RotationSettings(d, bound, waitDefault, waitMax, queueTimeout, pollPeriod, observePeriod);
    }

    public RotationSettings withBound(Duration d) {
        return new RotationSettings(minInterval, d, waitDefault, waitMax, queueTimeout, pollPeriod, observePeriod);
    }

    public RotationSettings withObservePeriod(Duration d) {
        return new RotationSettings(minInterval, bound, waitDefault, waitMax, queueTimeout, pollPeriod, d);
    }

    public RotationSettings withPollPeriod(Duration d) {
        return new RotationSettings(minInterval, bound, waitDefault, waitMax, queueTimeout, d, observePeriod);
    }
}
