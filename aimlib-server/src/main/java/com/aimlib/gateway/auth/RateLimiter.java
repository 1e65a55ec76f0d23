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

    /**
     * What one key has left, as the IETF httpapi draft's headers: {@code RateLimit-Policy: "default";q=<limit>;w=3600}
     * and {@code RateLimit: "default";r=<remaining>;t=<seconds>}, where {@code t} is the time until the bucket is
     * full again, or, when nothing remains, until the next request is allowed (the same as {@code Retry-After}).
     */
    public record Quota(long limit, long remaining, long resetSeconds) {
        public Map<String, String> headers() {
            return Map.of(
                    "RateLimit-Policy", "\"default\";q=" + limit + ";w=3600",
                    "RateLimit", "\"default\";r=" + remaining + ";t=" + resetSeconds);
        }
    }

    /**
     * Takes one token from {@code keyId}'s bucket and says what is left, or throws the documented 429 with
     * {@code Retry-After} and the rate-limit headers.
     */
    public Quota acquire(UUID keyId) {
        ConsumptionProbe probe = buckets.computeIfAbsent(keyId, k -> newBucket()).tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = ceilSeconds(probe.getNanosToWaitForRefill());
            Map<String, String> headers = new java.util.HashMap<>(new Quota(perHour, 0, seconds).headers());
            headers.put("Retry-After", Long.toString(seconds));
            throw new ApiException(429, new ErrorBody("rate_limited",
                    "rate limit of " + perHour + " requests per hour exceeded, retry in " + seconds + " s"),
                    Map.copyOf(headers));
        }
        long remaining = probe.getRemainingTokens();
        // Greedy refill adds one token every 3600/perHour seconds, so the bucket is full after the missing ones return.
        long untilFull = remaining == 0
                ? ceilSeconds(NANOS_PER_HOUR / perHour)
                : ceilSeconds(java.math.BigInteger.valueOf(perHour - remaining).multiply(java.math.BigInteger.valueOf(NANOS_PER_HOUR))
                        .divide(java.math.BigInteger.valueOf(perHour)).longValueExact());
        return new Quota(perHour, remaining, untilFull);
    }

    private static final long NANOS_PER_HOUR = 3_600_000_000_000L;

    private static long ceilSeconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(perHour).refillGreedy(perHour, Duration.ofHours(1)))
                .withCustomTimePrecision(time)
                .build();
    }
}
