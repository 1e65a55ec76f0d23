package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rate limiter's 429 is retried, honouring Retry-After up to the client's longest wait, then thrown. */
class RateLimitRetryTest {
    @Test
    void theRateLimitersAnswerIsRetriedThenThrownAsTheBaseException() throws Exception {
        Database db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Gateway gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().rateLimitPerHour(2).build(), db, box);
        try {
            Accounts accounts = new Accounts(db, box);
            Accounts.Customer c = accounts.createCustomer("rl", 5);
            String key = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
            try (Aimlib ai = Aimlib.builder().apiKey(key).baseUrl(gateway.baseUrl()).maxRetries(2)
                    .maxRetryWait(Duration.ofMillis(200)).build()) {
                assertThat(ai.tickets().list()).isEmpty();
                assertThat(ai.tickets().list()).isEmpty();
                long start = System.nanoTime();
                assertThatThrownBy(() -> ai.tickets().list()).isExactlyInstanceOf(AimlibException.class)
                        .hasMessageContaining("rate_limited")
                        .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(429));
                // Retry-After is 1800 s at 2 per hour: two waits, each cut to the client's 200 ms
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            }
        } finally {
            gateway.close();
            db.close();
        }
    }
}
