package com.aimlib.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.store.Database;
import com.aimlib.testing.TestDatabases;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The shared (PostgreSQL) buckets when many requests of a key arrive at once on two replicas before its bucket row
 * exists: every request gets a token or the documented 429, never an error. Before the fix Bucket4j's batching
 * failed the concurrent first requests with BucketNotFoundException, a 500 (found by the topology test).
 */
class SharedRateLimiterConcurrencyTest {

    @Test
    void concurrentFirstRequestsOfANewKeyOnTwoReplicasAllGetAnAnswer() throws Exception {
        try (Database db = TestDatabases.fresh()) {
            RateLimiter a = new RateLimiter(1000, Clock.systemUTC(), db.dataSource());
            RateLimiter b = new RateLimiter(1000, Clock.systemUTC(), db.dataSource());
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int round = 0; round < 2; round++) {
                UUID key = UUID.randomUUID();
                AtomicInteger granted = new AtomicInteger();
                AtomicInteger limited = new AtomicInteger();
                CountDownLatch go = new CountDownLatch(1);
                try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<?>> all = new ArrayList<>();
                    for (int t = 0; t < 32; t++) {
                        RateLimiter replica = t % 2 == 0 ? a : b;
                        all.add(pool.submit(() -> {
                            go.await();
                            for (int i = 0; i < 36; i++) {
                                try {
                                    replica.acquire(key);
                                    granted.incrementAndGet();
                                } catch (ApiException e) {
                                    limited.incrementAndGet();
                                } catch (RuntimeException e) {
                                    errors.add(e);
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<?> f : all) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                }
                assertThat(errors).as("round %d: errors instead of a token or a 429", round).isEmpty();
                assertThat(granted.get()).as("round %d: tokens across both replicas", round).isEqualTo(1000);
                assertThat(limited.get()).isEqualTo(32 * 36 - 1000);
            }
        }
    }
}
