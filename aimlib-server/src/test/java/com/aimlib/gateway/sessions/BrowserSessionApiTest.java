package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Accounts;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** POST/GET/DELETE /v1/devices/{id}/browser: every documented default, clamp and error; caps; adoption. */
class BrowserSessionApiTest {
    static BrowserFixture fx;
    final List<BrowserFixture.Tenant> started = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(50);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @AfterEach
    void stopSessions() throws Exception {
        for (BrowserFixture.Tenant t : started) {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    HttpResponse<String> post(BrowserFixture.Tenant t, String body) throws Exception {
        started.add(t);
        return fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), body);
    }

    static Map<String, Object> row(String id) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM browser_sessions WHERE id = :id")
                .bind("id", UUID.fromString(id)).mapToMap().one());
    }

    static long expiresIn(JsonNode created) {
        return Duration.between(fx.clock.instant(), Instant.parse(created.get("expires_at").asText())).toSeconds();
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void createGetAndDeleteAnswerWithExactlyTheDocumentedFieldsAndTypes() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        HttpResponse<String> r = post(t, "");
        assertThat(r.statusCode()).as("an empty body is valid").isEqualTo(201);
        JsonNode c = BrowserFixture.json(r);
        assertThat(fieldNames(c)).containsExactly("session_id", "status", "connect_url", "connect_token", "region",
                "ready_in_s", "egress_ip", "expires_at", "max_tabs");
        String id = c.get("session_id").asText();
        assertThat(UUID.fromString(id).toString()).isEqualTo(id);
        assertThat(c.get("status").asText()).isEqualTo("provisioning");
        assertThat(c.get("connect_url").asText()).isEqualTo("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id);
        assertThat(c.get("connect_token").asText()).as("24 random bytes").matches("[0-9a-f]{48}");
        assertThat(c.get("region").isTextual()).isTrue();
        assertThat(c.get("ready_in_s").isInt()).isTrue();
        assertThat(c.get("ready_in_s").asInt()).isPositive();
        assertThat(c.get("egress_ip").isNull()).isTrue();
        assertThat(c.get("expires_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(c.get("max_tabs").isInt()).isTrue();
        assertThat(c.get("max_tabs").asInt()).isEqualTo(5);

        JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        assertThat(fieldNames(ready)).containsExactly("session_id", "status", "connect_url", "egress_ip", "expires_at",
                "started_at", "resolved_profile");
        assertThat(ready.get("session_id").asText()).isEqualTo(id);
        assertThat(ready.get("connect_url").asText()).isEqualTo(c.get("connect_url").asText());
        assertThat(ready.get("egress_ip").isTextual()).isTrue();
        assertThat(ready.get("expires_at").asText()).isEqualTo(c.get("expires_at").asText());
        assertThat(ready.get("resolved_profile").isObject()).isTrue();

        HttpResponse<String> d = fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        assertThat(d.statusCode()).isEqualTo(200);
        assertThat(d.body()).isEqualTo("{\"status\":\"stopping\"}");
    }

    @Test
    void badIdIs400ShortForm() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        for (String m : new String[] {"POST", "GET", "DELETE"}) {
            for (String id : new String[] {"nope", "", t.device().toString().toUpperCase().replace("-", "")}) {
                HttpResponse<String> r = fx.call(m, "/v1/devices/" + id + "/browser", t.key(), m.equals("POST") ? "{}" : null);
                assertThat(r.statusCode()).as(m + " '" + id + "'").isEqualTo(400);
                assertThat(r.body()).isEqualTo("{\"error\":\"bad id\"}");
            }
        }
    }

    @Test
    void unknownDeviceIs404ShortForm() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + UUID.randomUUID() + "/browser", t.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"device not found\"}");
    }

    @Test
    void invalidProfilesAre400ProfileInvalid() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String big = "{\"profile\":{\"device\":\"" + "x".repeat(4090) + "\"}}";
        for (String body : new String[] {"{\"profile\":\"pixel-8\"}", "{\"profile\":[1]}", "{\"profile\":5}", big, "{not json", "[1,2]"}) {
            HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), body);
            assertThat(r.statusCode()).as(body.length() > 100 ? "oversized" : body).isEqualTo(400);
            assertThat(BrowserFixture.json(r).get("error").asText()).isEqualTo("profile_invalid");
            assertThat(BrowserFixture.json(r).has("message")).isTrue();
        }
    }

    @Test
    void profileAtTheLimitIsAcceptedAndUnknownKeysDropped() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        StringBuilder fonts = new StringBuilder("{\"device\":\"pixel-8\",\"unknown\":1,\"fonts\":[");
        while (fonts.length() < 4096 - 2 - 67) {
            fonts.append('"').append("f".repeat(60)).append("\",");
        }
        String profile = fonts + "\"" + "f".repeat(4096 - fonts.length() - 4) + "\"]}";
        assertThat(profile.length()).isEqualTo(4096);
        HttpResponse<String> r = post(t, "{\"sticky\":true,\"profile\":" + profile + "}");
        assertThat(r.statusCode()).isEqualTo(201);
        Map<String, Object> row = row(BrowserFixture.json(r).get("session_id").asText());
        JsonNode stored = com.aimlib.gateway.http.Json.MAPPER.readTree(row.get("profile").toString());
        assertThat(stored.has("unknown")).isFalse();
        assertThat(stored.get("device").asText()).isEqualTo("pixel-8");
        assertThat(row.get("sticky")).isEqualTo(true);
    }

    @Test
    void leaseInactiveForOtherTenantsEndedLeasesAndLeasesWithoutProxy() throws Exception {
        BrowserFixture.Tenant owner = fx.tenant();
        BrowserFixture.Tenant stranger = fx.tenant();
        String want = "{\"error\":\"lease_inactive\",\"message\":\"no active lease with a proxy on this device\"}";
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + owner.device() + "/browser", stranger.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo(want);

        Accounts.Device d = fx.accounts.createDevice("noproxy-" + UUID.randomUUID(), "local", null, 1, null);
        fx.accounts.createLease(owner.customer(), d.id(), null, null);
        r = fx.call("POST", "/v1/devices/" + d.id() + "/browser", owner.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo(want);

        BrowserFixture.Tenant ended = fx.tenant();
        fx.accounts.endLease(ended.lease());
        r = fx.call("POST", "/v1/devices/" + ended.device() + "/browser", ended.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo(want);
    }

    @Test
    void exhaustedMonthlyCapIs409AndHeadroomClampsTheSessionCap() throws Exception {
        BrowserFixture.Tenant full = fx.tenant(5, 1, 1000L, Duration.ofHours(1));
        usage(full.device(), 600, 400);
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + full.device() + "/browser", full.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).isEqualTo("{\"error\":\"data_cap_exceeded\",\"message\":\"device monthly cellular cap reached\"}");

        BrowserFixture.Tenant some = fx.tenant(5, 1, 5_000_000L, Duration.ofHours(1));
        usage(some.device(), 1_000_000, 0);
        r = post(some, "{}");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(row(BrowserFixture.json(r).get("session_id").asText()).get("data_cap_bytes")).isEqualTo(4_000_000L);

        BrowserFixture.Tenant uncapped = fx.tenant();
        r = post(uncapped, "{}");
        assertThat(row(BrowserFixture.json(r).get("session_id").asText()).get("data_cap_bytes")).isEqualTo(2_000_000_000L);
    }

    static void usage(UUID device, long up, long down) {
        LocalDate month = fx.clock.instant().atOffset(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
        fx.db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO device_usage (device_id, month, bytes_up, bytes_down) VALUES (:d, :m, :u, :w)")
                .bind("d", device).bind("m", month).bind("u", up).bind("w", down).execute());
    }

    @Test
    void deviceCapIs429() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        assertThat(post(t, "{}").statusCode()).isEqualTo(201);
        HttpResponse<String> r = post(t, "{}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.body()).isEqualTo("{\"error\":\"capacity_unavailable\",\"message\":\"device session cap reached\"}");
    }

    @Test
    void customerCapIs429AndPreboundRowsDoNotCount() throws Exception {
        BrowserFixture.Tenant a = fx.tenant(1, 1, null, Duration.ofHours(1));
        Accounts.Device d2 = fx.accounts.createDevice("second-" + UUID.randomUUID(), "local", null, 1, null);
        fx.accounts.createLease(a.customer(), d2.id(), null, "socks5");
        BrowserFixture.Tenant b = new BrowserFixture.Tenant(a.customer(), a.key(), d2.id(), null);
        // both leases get their zero-cost idle rows; neither blocks the first POST
        assertThat(fx.call("GET", "/v1/devices/" + a.device() + "/browser", a.key(), null).statusCode()).isEqualTo(200);
        assertThat(fx.call("GET", "/v1/devices/" + b.device() + "/browser", a.key(), null).statusCode()).isEqualTo(200);
        assertThat(post(a, "{}").statusCode()).isEqualTo(201);
        HttpResponse<String> r = post(b, "{}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.body()).isEqualTo("{\"error\":\"capacity_unavailable\",\"message\":\"customer session cap reached\"}");
    }

    @Test
    void noHostInTheRegionIs503() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        fx.accounts.updateDevice(t.device(), "mars1", null, null, null);
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("{\"error\":\"capacity_unavailable\",\"message\":\"no browser host capacity in region\"}");
    }

    @Test
    void databaseFaultIs500ShortForm() throws Exception {
        BrowserFixture.Tenant t = fx.tenant(5, 1, 1000L, Duration.ofHours(1));
        fx.db.jdbi().useHandle(h -> h.execute("ALTER TABLE device_usage RENAME TO device_usage_away"));
        try {
            HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}");
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).isEqualTo("{\"error\":\"server error\"}");
        } finally {
            fx.db.jdbi().useHandle(h -> h.execute("ALTER TABLE device_usage_away RENAME TO device_usage"));
        }
    }

    @Test
    void ttlAndIdleTimeoutDefaultsAndClamps() throws Exception {
        record Case(String body, long expect) {
        }
        for (Case c : List.of(new Case("{}", 1800), new Case("{\"ttl\":0}", 1800), new Case("{\"ttl\":-5}", 1800),
                new Case("{\"ttl\":99999}", 1800), new Case("{\"ttl\":300}", 300), new Case("{\"ttl\":299.2}", 300),
                new Case("{\"ttl\":\"300\"}", 300), new Case("{\"ttl\":null}", 1800), new Case("{\"ttl\":-0.5}", 1800),
                new Case("{\"ttl\":1e12}", 1800), new Case("{\"ttl\":0.4}", 1))) {
            BrowserFixture.Tenant t = fx.tenant();
            HttpResponse<String> r = post(t, c.body());
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(expiresIn(BrowserFixture.json(r))).as(c.body()).isBetween(c.expect() - 3, c.expect());
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
        BrowserFixture.Tenant shortLease = fx.tenant(5, 1, null, Duration.ofSeconds(600));
        HttpResponse<String> r = post(shortLease, "{\"ttl\":1200,\"idle_timeout\":0}");
        assertThat(expiresIn(BrowserFixture.json(r))).isBetween(597L, 600L);
        Map<String, Object> row = row(BrowserFixture.json(r).get("session_id").asText());
        assertThat(row.get("idle_timeout_s")).isEqualTo(120);
        BrowserFixture.Tenant idle = fx.tenant();
        r = post(idle, "{\"idle_timeout\":45}");
        assertThat(row(BrowserFixture.json(r).get("session_id").asText()).get("idle_timeout_s")).isEqualTo(45);
        BrowserFixture.Tenant fraction = fx.tenant();
        r = post(fraction, "{\"idle_timeout\":0.5}");
        assertThat(row(BrowserFixture.json(r).get("session_id").asText()).get("idle_timeout_s"))
                .as("a positive idle_timeout is not the <= 0 default").isEqualTo(1);
        BrowserFixture.Tenant bad = fx.tenant();
        HttpResponse<String> wrong = fx.call("POST", "/v1/devices/" + bad.device() + "/browser", bad.key(), "{\"ttl\":\"10m\"}");
        assertThat(wrong.statusCode()).isEqualTo(400);
        assertThat(wrong.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"ttl must be an integer number of seconds\"}");
    }

    @Test
    void firstPostAdoptsThePreboundIdleRow() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        JsonNode idle = BrowserFixture.json(fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null));
        assertThat(idle.get("status").asText()).isEqualTo("idle");
        assertThat(idle.get("egress_ip").isNull()).isTrue();
        assertThat(idle.has("started_at")).isFalse();
        assertThat(idle.has("resolved_profile")).isFalse();
        HttpResponse<String> r = post(t, "{}");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(BrowserFixture.json(r).get("session_id").asText()).isEqualTo(idle.get("session_id").asText());
        int rows = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE lease_id = :l")
                .bind("l", t.lease()).mapTo(Integer.class).one());
        assertThat(rows).isEqualTo(1);
        fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
    }

    @Test
    void aPreboundRowChangedWhileBeingAdoptedIs503Retry() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String id = BrowserFixture.json(fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null)).get("session_id").asText();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        Future<HttpResponse<String>> post;
        try (var h = fx.db.jdbi().open()) {
            h.begin();
            // Another actor holds the row and changes it: the POST read the old version, waits on the row lock, then loses.
            h.createUpdate("UPDATE browser_sessions SET version = version + 1 WHERE id = :id").bind("id", UUID.fromString(id)).execute();
            post = pool.submit(() -> fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            // Commit only once the POST waits on our row lock (it has read the old version by then); a fixed sleep
            // was not enough on a loaded machine, where the POST could still be on its way and read the new one.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!waitingOnALock() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(waitingOnALock()).as("the POST waits on the row lock").isTrue();
            assertThat(post.isDone()).isFalse();
            h.commit();
        }
        HttpResponse<String> r = post.get();
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("{\"error\":\"capacity_unavailable\",\"message\":\"session changed during provisioning, retry\"}");
        assertThat(fx.statusOf(UUID.fromString(id))).isEqualTo("idle");
        HttpResponse<String> retry = post(t, "{}");
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(BrowserFixture.json(retry).get("session_id").asText()).isEqualTo(id);
    }

    @Test
    void preboundRowsAreCreatedOncePerLeaseByLeaseCreationOrTheSweep() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            fs.add(pool.submit(() -> fx.gateway.sessions().ensurePrebound(t.lease())));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        assertThat(count(t.lease())).isEqualTo(1);
        BrowserFixture.Tenant swept = fx.tenant();
        assertThat(count(swept.lease())).isZero();
        fx.gateway.reaper().reap();
        assertThat(count(swept.lease())).isEqualTo(1);
        // a stopped pre-bound row stays stopped: no new one appears
        assertThat(fx.call("DELETE", "/v1/devices/" + swept.device() + "/browser", swept.key(), null).statusCode()).isEqualTo(200);
        fx.gateway.reaper().reap();
        HttpResponse<String> r = fx.call("GET", "/v1/devices/" + swept.device() + "/browser", swept.key(), null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"session_not_found\"}");
        r = fx.call("DELETE", "/v1/devices/" + swept.device() + "/browser", swept.key(), null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"session_not_found\"}");
    }

    static int count(UUID lease) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE lease_id = :l")
                .bind("l", lease).mapTo(Integer.class).one());
    }

    @Test
    void concurrentPostsOnOneDeviceCreateExactlyOneSession() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        started.add(t);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Callable<HttpResponse<String>> c = () -> fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}");
            fs.add(pool.submit(c));
        }
        int created = 0;
        for (Future<HttpResponse<String>> f : fs) {
            int s = f.get().statusCode();
            assertThat(s).isIn(201, 429, 503);
            created += s == 201 ? 1 : 0;
        }
        assertThat(created).isEqualTo(1);
        int live = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE device_id = :d AND host_id IS NOT NULL")
                .bind("d", t.device()).mapTo(Integer.class).one());
        assertThat(live).isEqualTo(1);
    }

    @Test
    void scopesAreEnforced() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String readOnly = fx.accounts.mintKey(t.customer(), "ro", Set.of("proxies.read"), null).plaintext();
        assertThat(fx.call("POST", "/v1/devices/" + t.device() + "/browser", readOnly, "{}").statusCode()).isEqualTo(403);
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", readOnly, null).statusCode()).isEqualTo(403);
        assertThat(fx.call("GET", "/v1/devices/" + t.device() + "/browser", readOnly, null).statusCode()).isEqualTo(200);
        assertThat(fx.call("POST", "/v1/devices/" + t.device() + "/browser", null, "{}").statusCode()).isEqualTo(401);
    }

    /** Some statement of the gateway's waits on a row lock (ours, held by the test's open transaction). */
    private static boolean waitingOnALock() {
        return fx.db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
                .mapTo(Integer.class).one()) > 0;
    }
}
