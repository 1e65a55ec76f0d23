package com.aimlib.gateway.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.MutableClock;
import com.aimlib.testing.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The documented per-key rate limit (1000 requests per hour) held across two gateway replicas on one embedded
 * PostgreSQL: requests spread over both, in parallel, spend one shared Bucket4j bucket per key; the request past
 * the limit gets the documented 429 whichever replica serves it. The replicas share a frozen clock, so no token
 * comes back during the run unless the test moves it.
 */
class RateLimitReplicasTest {
    static final MutableClock clock = MutableClock.frozenAt(Instant.parse("2026-06-01T12:00:00Z"));
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static Database db;
    static Gateway a;
    static Gateway b;
    static Accounts accounts;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        a = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(clock).build(), db, box);
        b = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(clock).build(), db, box);
        accounts = new Accounts(db, box);
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
        db.close();
    }

    static HttpResponse<String> get(Gateway g, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(g.baseUrl() + "/v1/devices")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDocumentedThousandPerHourHoldsAcrossReplicasWhicheverServesTheRequest() throws Exception {
        Accounts.Customer c = accounts.createCustomer("limited-" + Secrets.randomAlphanumeric(6), 5);
        String key = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        String other = accounts.mintKey(accounts.createCustomer("other-" + Secrets.randomAlphanumeric(6), 5).id(), "k",
                Accounts.CUSTOMER_SCOPES, null).plaintext();

        // 1,100 requests, half through each replica, 8 at a time: exactly 1,000 pass.
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        AtomicInteger okA = new AtomicInteger();
        AtomicInteger okB = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 1100; i++) {
                Gateway g = i % 2 == 0 ? a : b;
                all.add(pool.submit(() -> {
                    HttpResponse<String> r = get(g, key);
                    if (r.statusCode() == 200) {
                        ok.incrementAndGet();
                        (g == a ? okA : okB).incrementAndGet();
                    } else if (r.statusCode() == 429) {
                        limited.incrementAndGet();
                    } else {
                        throw new AssertionError("unexpected " + r.statusCode() + " " + r.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertThat(ok.get()).as("requests let through over both replicas").isEqualTo(1000);
        assertThat(limited.get()).isEqualTo(100);
        assertThat(okA.get()).isPositive();
        assertThat(okB.get()).isPositive();

        // The next one is the documented 429 on either replica: body, Retry-After, RateLimit headers.
        for (Gateway g : List.of(a, b)) {
            HttpResponse<String> r = get(g, key);
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.body()).isEqualTo(
                    "{\"error\":\"rate_limited\",\"message\":\"rate limit of 1000 requests per hour exceeded, retry in 4 s\"}");
            assertThat(r.headers().firstValue("Retry-After")).contains("4");
            assertThat(r.headers().firstValue("RateLimit")).contains("\"default\";r=0;t=4");
            assertThat(r.headers().firstValue("RateLimit-Policy")).contains("\"default\";q=1000;w=3600");
        }
        // Another customer's key is not throttled by it.
        assertThat(get(b, other).statusCode()).isEqualTo(200);

        // One token comes back every 3.6 s, to be spent once, through whichever replica asks first.
        clock.advance(Duration.ofSeconds(4));
        HttpResponse<String> first = get(b, key);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"default\";r=0;"));
        assertThat(get(a, key).statusCode()).isEqualTo(429);
    }
}
