package com.aimlib.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.MutableClock;
import com.aimlib.testing.TestDatabases;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RateLimitTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static ApiClient api;
    /** Moved by hand, so refills are proven without sleeping. */
    static final MutableClock clock = MutableClock.frozenAt(Instant.parse("2026-06-01T12:00:00Z"));

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().rateLimitPerHour(3).clock(clock).build(), db, box);
        accounts = new Accounts(db, box);
        api = new ApiClient(gateway);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static String key(Accounts.Customer c) {
        return accounts.mintKey(c.id(), null, Accounts.CUSTOMER_SCOPES, null).plaintext();
    }

    @Test
    void fourthRequestInAnHourIs429WithRetryAfterAndOtherKeysAreUnaffected() throws Exception {
        Accounts.Customer a = accounts.createCustomer("a", 5);
        Accounts.Customer b = accounts.createCustomer("b", 5);
        String keyA = key(a);
        String keyA2 = key(a);
        String keyB = key(b);
        for (int i = 0; i < 3; i++) {
            assertThat(api.get(i == 1 ? "/v1/tickets" : "/v1/devices", keyA).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = api.get("/v1/devices", keyA);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).contains("1200");
        assertThat(limited.body()).isEqualTo(
                "{\"error\":\"rate_limited\",\"message\":\"rate limit of 3 requests per hour exceeded, retry in 1200 s\"}");
        assertThat(api.post("/v1/tickets", keyA, "{\"subject\":\"s\",\"body\":\"b\"}").statusCode()).isEqualTo(429);

        for (int i = 0; i < 3; i++) {
            assertThat(api.get("/v1/devices", keyB).statusCode()).isEqualTo(200);
            assertThat(api.get("/v1/devices", keyA2).statusCode()).isEqualTo(200);
        }

        clock.advance(Duration.ofSeconds(600));
        HttpResponse<String> later = api.get("/v1/devices", keyA);
        assertThat(later.statusCode()).isEqualTo(429);
        assertThat(later.headers().firstValue("Retry-After")).contains("600");
        clock.advance(Duration.ofSeconds(600));
        assertThat(api.get("/v1/devices", keyA).statusCode()).isEqualTo(200);
        assertThat(api.get("/v1/devices", keyA).statusCode()).isEqualTo(429);
    }

    @Test
    void everyAnswerCarriesTheDraftRateLimitHeaders() throws Exception {
        String k = key(accounts.createCustomer("h", 5));
        HttpResponse<String> missing = api.get("/v1/tickets/" + java.util.UUID.randomUUID(), k);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("RateLimit-Policy")).contains("\"default\";q=3;w=3600");
        assertThat(missing.headers().firstValue("RateLimit")).contains("\"default\";r=2;t=1200");

        HttpResponse<String> ok = api.get("/v1/devices", k);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("RateLimit-Policy")).contains("\"default\";q=3;w=3600");
        assertThat(ok.headers().firstValue("RateLimit")).contains("\"default\";r=1;t=2400");

        HttpResponse<String> last = api.get("/v1/tickets", k);
        assertThat(last.statusCode()).isEqualTo(200);
        assertThat(last.headers().firstValue("RateLimit")).contains("\"default\";r=0;t=1200");

        HttpResponse<String> limited = api.get("/v1/devices", k);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("RateLimit-Policy")).contains("\"default\";q=3;w=3600");
        assertThat(limited.headers().firstValue("RateLimit")).contains("\"default\";r=0;t=1200");
        assertThat(limited.headers().firstValue("Retry-After")).contains("1200");
    }

    @Test
    void unauthenticatedRequestsDoNotSpendAnyonesTokens() throws Exception {
        Accounts.Customer c = accounts.createCustomer("c", 5);
        String k = key(c);
        for (int i = 0; i < 10; i++) {
            assertThat(api.get("/v1/devices", "ak_live_nope" + i).statusCode()).isEqualTo(401);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(api.get("/v1/devices", k).statusCode()).isEqualTo(200);
        }
    }
}
