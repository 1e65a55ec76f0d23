package com.aimlib.gateway.auth;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.protocol.ErrorBody;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Bucket4j token bucket per API key: {@code perHour} requests, refilled greedily over the hour.
 * Buckets live in this process; a deployment with several gateway replicas would keep them in
 * PostgreSQL through Bucket4j's JDBC proxy manager so all replicas share one bucket per key.
 */
public final class RateLimiter {
    private final long perHour;
    private final TimeMeter time;
    private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(long perHour, Clock clock) {
        if (perHour <= 0) {
            throw new IllegalArgumentException("rate limit must be positive");
        }
        this.perHour = perHour;
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                java.time.Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }

    /** Takes one token from {@code keyId}'s bucket, or throws the documented 429 with {@code Retry-After}. */
    public void acquire(UUID keyId) {
        ConsumptionProbe probe = buckets.computeIfAbsent(keyId, k -> newBucket()).tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
            throw new ApiException(429, new ErrorBody("rate_limited",
                    "rate limit of " + perHour + " requests per hour exceeded, retry in " + seconds + " s"),
                    Map.of("Retry-After", Long.toString(seconds)));
        }
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(perHour).refillGreedy(perHour, Duration.ofHours(1)))
                .withCustomTimePrecision(time)
                .build();
    }
}
