package com.aimlib.gateway.auth;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.protocol.ErrorBody;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.BucketNotFoundException;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import javax.sql.DataSource;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Bucket4j token bucket per API key: {@code perHour} requests, refilled greedily over the hour. With a
 * {@link DataSource} the buckets live in PostgreSQL (table {@code rate_limit_buckets}, Bucket4j's
 * select-for-update proxy manager), so every gateway replica on the database spends from the same bucket per
 * key; without one they live in this process. {@link #acquire} then runs one short transaction: call it off the
 * event loop (the authenticated handlers run on virtual threads).
 */
public final class RateLimiter {
    private final long perHour;
    private final TimeMeter time;
    private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();
    /** The shared store's buckets by key id, or null when buckets are per process. */
    private final ProxyManager<String> shared;
    private final BucketConfiguration configuration;

    public RateLimiter(long perHour, Clock clock) {
        this(perHour, clock, null);
    }

    /** Buckets shared through PostgreSQL when {@code sharedStore} is not null (issue 12: replicas that agree). */
    public RateLimiter(long perHour, Clock clock, DataSource sharedStore) {
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
        this.configuration = BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(perHour).refillGreedy(perHour, Duration.ofHours(1)))
                .build();
        this.shared = sharedStore == null ? null : Bucket4jPostgreSQL.selectForUpdateBasedBuilder(sharedStore)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_buckets").idColumn("id").stateColumn("state")
                .clientClock(time)
                .build();
    }

    /** Whether the buckets are shared through the database. */
    public boolean shared() {
        return shared != null;
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
        ConsumptionProbe probe = shared != null ? consumeShared(keyId)
                : buckets.computeIfAbsent(keyId, k -> newBucket()).tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds = ceilSeconds(probe.getNanosToWaitForRefill());
            Map<String, String> headers = new java.util.HashMap<>(new Quota(perHour, 0, seconds).headers());
            headers.put("Retry-After", Long.toString(seconds));
            throw new ApiException(429, new ErrorBody(ErrorCode.RATE_LIMITED,
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
    private static final int NOT_FOUND_RETRIES = 5;

    /**
     * One token from the key's bucket in PostgreSQL. While a key's bucket row does not exist yet, Bucket4j's batching
     * optimisation fails every request but the batch's first with {@link BucketNotFoundException} (the first creates
     * the row; the others are not re-run with the configuration), which was a 500 for concurrent first requests of a
     * key (seen in the topology test). Such a request spent nothing, so it is simply sent again.
     */
    private ConsumptionProbe consumeShared(UUID keyId) {
        for (int attempt = 1; ; attempt++) {
            try {
                return buckets.computeIfAbsent(keyId, this::sharedBucket).tryConsumeAndReturnRemaining(1);
            } catch (RuntimeException e) {
                if (attempt >= NOT_FOUND_RETRIES || !bucketNotFound(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean bucketNotFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BucketNotFoundException) {
                return true;
            }
        }
        return false;
    }

    private static long ceilSeconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /**
     * A proxy of the key's bucket in PostgreSQL. Batching (exact, no token is spent locally): while one
     * request of a key is at the database, its other concurrent requests wait and go in the next single round trip.
     */
    private Bucket sharedBucket(UUID keyId) {
        return shared.builder().withOptimization(Optimizations.batching()).build(keyId.toString(), () -> configuration);
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(perHour).refillGreedy(perHour, Duration.ofHours(1)))
                .withCustomTimePrecision(time)
                .build();
    }
}
