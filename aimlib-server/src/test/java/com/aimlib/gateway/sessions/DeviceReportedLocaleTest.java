package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Accounts;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: a session's time zone and locale default to the phone's own. The device's agent reports them on its
 * status stream (`--timezone`/`--locale`, else its process's own); the gateway stores them checked; an operator's
 * per-device values win over them, and the region's defaults apply only when neither is known.
 */
class DeviceReportedLocaleTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(10);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static BrowserFixture.Tenant phone(String timezone, String locale) {
        Accounts.Customer c = fx.accounts.createCustomer("tz-" + UUID.randomUUID(), 5);
        String key = fx.accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        Accounts.Device d = fx.accounts.createDevice("tz-" + UUID.randomUUID(), "local", "test", 1, null);
        fx.startAgent(d.id(), timezone, locale);
        Accounts.Lease l = fx.accounts.createLease(c.id(), d.id(), null, "socks5");
        return new BrowserFixture.Tenant(c.id(), key, d.id(), l.id());
    }

    private static Map<String, Object> reported(UUID device) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT reported_timezone, reported_locale FROM devices WHERE id = :d")
                .bind("d", device).mapToMap().one());
    }

    private static Map<String, Object> awaitReported(UUID device) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<String, Object> r = reported(device);
        while (r.get("reported_timezone") == null && System.nanoTime() < end) {
            Thread.sleep(20);
            r = reported(device);
        }
        return r;
    }

    private static JsonNode resolvedAtCreate(BrowserFixture.Tenant p) throws Exception {
        assertThat(fx.call("POST", "/v1/devices/" + p.device() + "/browser", p.key(), "{}").statusCode()).isEqualTo(201);
        try {
            return BrowserFixture.json(fx.call("GET", "/v1/devices/" + p.device() + "/browser", p.key(), null)).path("resolved_profile");
        } finally {
            fx.call("DELETE", "/v1/devices/" + p.device() + "/browser", p.key(), null);
            fx.awaitStatus(p, "404", Duration.ofSeconds(30));
        }
    }

    @Test
    void thePhonesReportedZoneAndLocaleAreTheSessionDefaultsAndTheOperatorsWin() throws Exception {
        BrowserFixture.Tenant p = phone("Asia/Tokyo", "ja_JP");
        assertThat(awaitReported(p.device())).containsEntry("reported_timezone", "Asia/Tokyo").containsEntry("reported_locale", "ja-JP");
        JsonNode profile = resolvedAtCreate(p);
        assertThat(profile.path("timezone").asText()).isEqualTo("Asia/Tokyo");
        assertThat(profile.path("locale").asText()).isEqualTo("ja-JP");
        assertThat(profile.path("languages").get(0).asText()).isEqualTo("ja-JP");

        JsonNode admin = BrowserFixture.json(fx.call("GET", "/admin/v1/devices/" + p.device(), fx.operatorKey, null));
        assertThat(admin.path("reported_timezone").asText()).isEqualTo("Asia/Tokyo");

        assertThat(fx.call("PATCH", "/admin/v1/devices/" + p.device(), fx.operatorKey, "{\"timezone\":\"Europe/Berlin\",\"locale\":\"de-DE\"}").statusCode())
                .isEqualTo(200);
        JsonNode operator = resolvedAtCreate(p);
        assertThat(operator.path("timezone").asText()).as("the operator's value wins").isEqualTo("Europe/Berlin");
        assertThat(operator.path("locale").asText()).isEqualTo("de-DE");
    }

    @Test
    void anImpossibleReportIsNotStoredAndTheRegionDefaultStays() throws Exception {
        BrowserFixture.Tenant p = phone("Mars/Olympus", "");
        BrowserFixture.Tenant control = phone("America/Chicago", "");
        // The control device's report arrives over the same path: once it is stored, the other one's was judged too.
        assertThat(awaitReported(control.device())).containsEntry("reported_timezone", "America/Chicago");
        Thread.sleep(300);
        assertThat(reported(p.device())).containsEntry("reported_timezone", null).containsEntry("reported_locale", null);
        JsonNode profile = resolvedAtCreate(p);
        JsonNode none = resolvedAtCreate(phone("", ""));
        assertThat(profile.path("timezone").asText()).as("the region's default, as for a device that reports nothing")
                .isEqualTo(none.path("timezone").asText()).isNotEqualTo("Mars/Olympus");
    }
}
