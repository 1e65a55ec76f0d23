package com.aimlib.gateway.api;

import static com.aimlib.gateway.api.ApiClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.store.Tickets;
import com.aimlib.testing.RawHttp;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CustomerApiTest {
    static final String UNAUTHORIZED = "{\"error\":\"unauthorized\"}";
    static Database db;
    static SecretBox box;
    static Gateway gateway;
    static Accounts accounts;
    static ApiClient api;
    static String operatorKey;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().rateLimitPerHour(1_000_000).build(), db, box);
        accounts = new Accounts(db, box);
        api = new ApiClient(gateway);
        operatorKey = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    record Tenant(Accounts.Customer customer, String key) {
    }

    static Tenant tenant() {
        Accounts.Customer c = accounts.createCustomer("c-" + UUID.randomUUID(), 5);
        return new Tenant(c, accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext());
    }

    static Accounts.Device device(String carrier) {
        return accounts.createDevice("d-" + UUID.randomUUID(), "uswest1", carrier, 1, null);
    }

    // --- authentication ---

    @Test
    void everyUnusableKeyIs401Unauthorized() throws Exception {
        Tenant t = tenant();
        Accounts.MintedKey revoked = accounts.mintKey(t.customer().id(), "r", Accounts.CUSTOMER_SCOPES, null);
        accounts.revokeKey(revoked.key().id());
        Accounts.MintedKey expired = accounts.mintKey(t.customer().id(), "e", Accounts.CUSTOMER_SCOPES,
                Instant.now().minus(1, ChronoUnit.MINUTES));
        List<HttpResponse<String>> answers = new ArrayList<>();
        answers.add(api.get("/v1/devices", null));
        answers.add(api.raw(HttpRequest.newBuilder(api.uri("/v1/devices")).header("Authorization", "Basic dXNlcjpwYXNz")));
        answers.add(api.raw(HttpRequest.newBuilder(api.uri("/v1/devices")).header("Authorization", "Bearer")));
        answers.add(api.raw(HttpRequest.newBuilder(api.uri("/v1/devices")).header("Authorization", "Bearer a b")));
        answers.add(api.get("/v1/devices", "ak_live_" + Secrets.randomAlphanumeric(40)));
        answers.add(api.get("/v1/devices", revoked.plaintext()));
        answers.add(api.get("/v1/devices", expired.plaintext()));
        answers.add(api.get("/v1/devices", operatorKey));
        answers.add(api.get("/v1/tickets", operatorKey));
        for (HttpResponse<String> r : answers) {
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).isEqualTo(UNAUTHORIZED);
        }
        assertThat(api.get("/v1/devices", t.key()).statusCode()).isEqualTo(200);
    }

    @Test
    void suspendedCustomerIs403LeaseInactive() throws Exception {
        Tenant t = tenant();
        api.post("/admin/v1/customers/" + t.customer().id() + "/suspend", operatorKey, null);
        for (String path : List.of("/v1/devices", "/v1/tickets")) {
            HttpResponse<String> r = api.get(path, t.key());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).isEqualTo("{\"error\":\"lease_inactive\",\"message\":\"customer not active\"}");
        }
        api.post("/admin/v1/customers/" + t.customer().id() + "/reactivate", operatorKey, null);
        assertThat(api.get("/v1/devices", t.key()).statusCode()).isEqualTo(200);
    }

    @Test
    void missingScopeIs403Forbidden() throws Exception {
        Tenant t = tenant();
        String ticketsOnly = accounts.mintKey(t.customer().id(), "t", Set.of("tickets.write"), null).plaintext();
        String proxiesOnly = accounts.mintKey(t.customer().id(), "p", Set.of("proxies.read"), null).plaintext();
        HttpResponse<String> devices = api.get("/v1/devices", ticketsOnly);
        assertThat(devices.statusCode()).isEqualTo(403);
        assertThat(devices.body()).isEqualTo("{\"error\":\"forbidden\",\"message\":\"missing scope proxies.read\"}");
        HttpResponse<String> tickets = api.post("/v1/tickets", proxiesOnly, "{\"subject\":\"s\",\"body\":\"b\"}");
        assertThat(tickets.statusCode()).isEqualTo(403);
        assertThat(tickets.body()).isEqualTo("{\"error\":\"forbidden\",\"message\":\"missing scope tickets.write\"}");
        assertThat(api.get("/v1/devices", proxiesOnly).statusCode()).isEqualTo(200);
    }

    @Test
    void revokedKeyStopsWorkingWithinOneSecondEvenWithoutInProcessInvalidation() throws Exception {
        Tenant t = tenant();
        assertThat(api.get("/v1/devices", t.key()).statusCode()).isEqualTo(200);
        UUID keyId = accounts.keys(t.customer().id(), null).get(0).id();
        accounts.revokeKey(keyId);
        long start = System.nanoTime();
        int status = 200;
        while (status == 200 && System.nanoTime() - start < 3_000_000_000L) {
            status = api.get("/v1/devices", t.key()).statusCode();
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(status).isEqualTo(401);
        assertThat(elapsedMs).isLessThan(1000);
    }

    @Test
    void keyRevokedThroughTheOperatorApiIsRefusedOnTheNextRequest() throws Exception {
        Tenant t = tenant();
        assertThat(api.get("/v1/devices", t.key()).statusCode()).isEqualTo(200);
        UUID keyId = accounts.keys(t.customer().id(), null).get(0).id();
        assertThat(api.post("/admin/v1/keys/" + keyId + "/revoke", operatorKey, null).statusCode()).isEqualTo(200);
        assertThat(api.get("/v1/devices", t.key()).body()).isEqualTo(UNAUTHORIZED);
    }

    // --- devices ---

    @Test
    void devicesIsEmptyArrayWithoutLeases() throws Exception {
        HttpResponse<String> r = api.get("/v1/devices", tenant().key());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(r.body()).isEqualTo("[]");
    }

    @Test
    void devicesShowTheDocumentedShapeWithAndWithoutProxy() throws Exception {
        Tenant t = tenant();
        Accounts.Device socks = device("t-mobile");
        Accounts.Device http = device("vodafone");
        Accounts.Device bare = device(null);
        db.jdbi().useHandle(h -> h.execute("UPDATE devices SET current_egress_ip = '203.0.113.45' WHERE id = ?", socks.id()));
        Instant ends = Instant.parse("2099-12-31T23:59:59Z");
        Accounts.Lease socksLease = accounts.createLease(t.customer().id(), socks.id(), ends, "socks5");
        Accounts.Lease httpLease = accounts.createLease(t.customer().id(), http.id(), null, "http");
        Accounts.Lease bareLease = accounts.createLease(t.customer().id(), bare.id(), null, null);
        Accounts.Proxy sp = accounts.proxyForLease(socksLease.id()).orElseThrow();
        Accounts.Proxy hp = accounts.proxyForLease(httpLease.id()).orElseThrow();

        JsonNode list = json(api.get("/v1/devices", t.key()));
        assertThat(list).hasSize(3);
        JsonNode s = list.get(0);
        // The documented fields in the documented order, then the issue-15 extension `health`.
        assertThat(fieldNames(s)).containsExactly("device_id", "region", "carrier", "lease", "current_egress_ip", "proxy", "browser", "health");
        assertThat(s.get("device_id").asText()).isEqualTo(socks.id().toString());
        assertThat(s.get("region").asText()).isEqualTo("uswest1");
        assertThat(s.get("carrier").asText()).isEqualTo("t-mobile");
        assertThat(s.get("lease").get("id").asText()).isEqualTo(socksLease.id().toString());
        assertThat(s.get("lease").get("ends_at").asText()).isEqualTo("2099-12-31T23:59:59Z");
        assertThat(s.get("current_egress_ip").asText()).isEqualTo("203.0.113.45");
        assertThat(fieldNames(s.get("proxy"))).containsExactly("id", "protocol", "url", "status", "http_url", "socks5h_url");
        assertThat(s.get("proxy").get("id").asText()).isEqualTo(sp.id().toString());
        assertThat(s.get("proxy").get("protocol").asText()).isEqualTo("socks5");
        assertThat(s.get("proxy").get("url").asText())
                .isEqualTo("socks5h://" + sp.username() + ":" + sp.password() + "@127.0.0.1:" + gateway.socksPort());
        assertThat(s.get("proxy").get("status").asText()).isEqualTo("active");
        assertThat(s.get("browser").toString()).isEqualTo("{\"available\":true}");
        assertThat(s.get("health").get("status").asText()).as("no agent ever reported").isEqualTo("unknown");
        assertThat(s.get("proxy").get("http_url").asText())
                .isEqualTo("http://" + sp.username() + ":" + sp.password() + "@127.0.0.1:" + gateway.socksPort());

        JsonNode h = list.get(1);
        assertThat(h.get("lease").get("ends_at").isNull()).isTrue();
        assertThat(h.get("current_egress_ip").isNull()).isTrue();
        assertThat(h.get("proxy").get("protocol").asText()).isEqualTo("http");
        assertThat(h.get("proxy").get("url").asText())
                .isEqualTo("http://" + hp.username() + ":" + hp.password() + "@127.0.0.1:" + gateway.httpProxyPort());
        assertThat(h.get("proxy").get("http_url").asText()).as("the single port, whatever the lease's protocol")
                .isEqualTo("http://" + hp.username() + ":" + hp.password() + "@127.0.0.1:" + gateway.socksPort());
        assertThat(h.get("proxy").get("socks5h_url").asText())
                .isEqualTo("socks5h://" + hp.username() + ":" + hp.password() + "@127.0.0.1:" + gateway.socksPort());

        JsonNode b = list.get(2);
        assertThat(b.get("lease").get("id").asText()).isEqualTo(bareLease.id().toString());
        assertThat(b.get("carrier").isNull()).isTrue();
        assertThat(fieldNames(b)).containsExactly("device_id", "region", "carrier", "lease", "browser", "health");
    }

    @Test
    void endedAndExpiredLeasesAreHidden() throws Exception {
        Tenant t = tenant();
        Accounts.Lease live = accounts.createLease(t.customer().id(), device("c").id(), null, "socks5");
        Accounts.Lease toEnd = accounts.createLease(t.customer().id(), device("c").id(), null, "socks5");
        Accounts.Lease past = accounts.createLease(t.customer().id(), device("c").id(), Instant.now().plusSeconds(3600), "http");
        db.jdbi().useHandle(h -> h.execute("UPDATE leases SET ends_at = now() - interval '1 second' WHERE id = ?", past.id()));
        assertThat(json(api.get("/v1/devices", t.key())).findValuesAsText("device_id")).hasSize(2);
        assertThat(api.post("/admin/v1/leases/" + toEnd.id() + "/end", operatorKey, null).statusCode()).isEqualTo(200);
        JsonNode list = json(api.get("/v1/devices", t.key()));
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("lease").get("id").asText()).isEqualTo(live.id().toString());
    }

    @Test
    void devicesListingFailureIs500ServerError() throws Exception {
        Tenant t = tenant();
        accounts.createLease(t.customer().id(), device("c").id(), null, "socks5");
        try (Gateway wrongKey = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, new SecretBox(Secrets.randomBytes(32)))) {
            HttpResponse<String> r = new ApiClient(wrongKey).get("/v1/devices", t.key());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).isEqualTo("{\"error\":\"server error\"}");
        }
    }

    @Test
    void tenantsNeverSeeEachOthersDevicesOrTickets() throws Exception {
        Tenant a = tenant();
        Tenant b = tenant();
        Accounts.Device da = device("a");
        Accounts.Device dbDevice = device("b");
        accounts.createLease(a.customer().id(), da.id(), null, "socks5");
        accounts.createLease(b.customer().id(), dbDevice.id(), null, "socks5");
        String ta = json(api.post("/v1/tickets", a.key(), "{\"subject\":\"from a\",\"body\":\"a\"}")).get("id").asText();
        String tb = json(api.post("/v1/tickets", b.key(), "{\"subject\":\"from b\",\"body\":\"b\"}")).get("id").asText();

        assertThat(json(api.get("/v1/devices", a.key())).findValuesAsText("device_id")).containsExactly(da.id().toString());
        assertThat(json(api.get("/v1/devices", b.key())).findValuesAsText("device_id")).containsExactly(dbDevice.id().toString());
        assertThat(json(api.get("/v1/tickets", a.key())).findValuesAsText("subject")).containsExactly("from a");
        assertThat(json(api.get("/v1/tickets", b.key())).findValuesAsText("subject")).containsExactly("from b");
        for (HttpResponse<String> r : List.of(
                api.get("/v1/tickets/" + tb, a.key()),
                api.post("/v1/tickets/" + tb + "/messages", a.key(), "{\"body\":\"hi\"}"),
                api.post("/v1/tickets/" + tb + "/close", a.key(), null),
                api.get("/v1/tickets/" + ta, b.key()))) {
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).isEqualTo("{\"error\":\"ticket not found\"}");
        }
        JsonNode untouched = json(api.get("/v1/tickets/" + tb, b.key()));
        assertThat(untouched.get("messages")).hasSize(1);
        assertThat(untouched.get("customer_closed").asBoolean()).isFalse();
    }

    // --- tickets ---

    @Test
    void ticketIsCompleteOnlyAfterBothSidesCloseAndAMessageReopensIt() throws Exception {
        Tenant t = tenant();
        HttpResponse<String> created = api.post("/v1/tickets", t.key(),
                "{\"subject\":\"device.browser() times out\",\"body\":\"never reaches ready\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode c = json(created);
        assertThat(fieldNames(c)).containsExactly("id", "subject", "status", "customer_closed", "operator_closed",
                "awaiting_close_from", "messages", "complete", "created_at", "updated_at");
        assertThat(c.get("subject").asText()).isEqualTo("device.browser() times out");
        assertState(c, "open", false, false, "both", false);
        assertThat(c.get("messages")).hasSize(1);
        assertThat(fieldNames(c.get("messages").get(0))).containsExactly("author", "body", "created_at");
        assertThat(c.get("messages").get(0).get("author").asText()).isEqualTo("customer");
        assertThat(c.get("messages").get(0).get("body").asText()).isEqualTo("never reaches ready");
        String id = c.get("id").asText();

        JsonNode afterCustomer = json(api.post("/v1/tickets/" + id + "/close", t.key(), null));
        assertState(afterCustomer, "open", true, false, "operator", false);
        JsonNode again = json(api.post("/v1/tickets/" + id + "/close", t.key(), null));
        assertState(again, "open", true, false, "operator", false);

        JsonNode operatorReply = json(api.post("/admin/v1/tickets/" + id + "/messages", operatorKey, "{\"body\":\"looking\"}"));
        assertState(operatorReply, "open", false, false, "both", false);
        JsonNode opClosed = json(api.post("/admin/v1/tickets/" + id + "/close", operatorKey, null));
        assertState(opClosed, "open", false, true, "customer", false);

        HttpResponse<String> closeResp = api.post("/v1/tickets/" + id + "/close", t.key(), null);
        assertThat(closeResp.statusCode()).isEqualTo(200);
        assertState(json(closeResp), "closed", true, true, null, true);
        assertState(json(api.get("/v1/tickets/" + id, t.key())), "closed", true, true, null, true);

        HttpResponse<String> reply = api.post("/v1/tickets/" + id + "/messages", t.key(), "{\"body\":\"it happened again\"}");
        assertThat(reply.statusCode()).isEqualTo(201);
        JsonNode reopened = json(reply);
        assertState(reopened, "open", false, false, "both", false);
        assertThat(reopened.get("messages").findValuesAsText("author")).containsExactly("customer", "operator", "customer");
        assertThat(reopened.get("messages").findValuesAsText("body"))
                .containsExactly("never reaches ready", "looking", "it happened again");

        JsonNode list = json(api.get("/v1/tickets", t.key()));
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("id").asText()).isEqualTo(id);
        assertThat(list.get(0).get("messages")).hasSize(3);
    }

    @Test
    void ticketWithoutAnyTicketsListsEmpty() throws Exception {
        assertThat(api.get("/v1/tickets", tenant().key()).body()).isEqualTo("[]");
    }

    @Test
    void badOrUnknownTicketIds() throws Exception {
        Tenant t = tenant();
        HttpResponse<String> bad = api.get("/v1/tickets/not-a-uuid", t.key());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).isEqualTo("{\"error\":\"bad id\"}");
        assertThat(api.post("/v1/tickets/123/close", t.key(), null).body()).isEqualTo("{\"error\":\"bad id\"}");
        HttpResponse<String> empty = api.post("/v1/tickets//messages", t.key(), "{\"body\":\"x\"}");
        assertThat(empty.statusCode()).as("an empty id is not a UUID either").isEqualTo(400);
        assertThat(empty.body()).isEqualTo("{\"error\":\"bad id\"}");
        HttpResponse<String> unknown = api.get("/v1/tickets/" + UUID.randomUUID(), t.key());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("{\"error\":\"ticket not found\"}");
    }

    @Test
    void malformedTicketBodiesAre400InTheEnvelope() throws Exception {
        Tenant t = tenant();
        String tooLong = "x".repeat(CustomerApiRoutes.MAX_SUBJECT + 1);
        String[][] cases = {
                {"{\"subject\":", "invalid_json", "request body is not valid JSON"},
                {"[1,2]", "invalid_json", "request body must be a JSON object"},
                {"\"text\"", "invalid_json", "request body must be a JSON object"},
                {"{\"subject\":\"s\",\"body\":\"b\"} trailing", "invalid_json", "request body is not valid JSON"},
                {"", "bad_request", "subject is required"},
                {"{}", "bad_request", "subject is required"},
                {"{\"subject\":null,\"body\":\"b\"}", "bad_request", "subject is required"},
                {"{\"subject\":\"s\"}", "bad_request", "body is required"},
                {"{\"subject\":5,\"body\":\"b\"}", "bad_request", "subject must be a string"},
                {"{\"subject\":\"s\",\"body\":[\"b\"]}", "bad_request", "body must be a string"},
                {"{\"subject\":\"s\",\"body\":true}", "bad_request", "body must be a string"},
                {"{\"subject\":\"   \",\"body\":\"b\"}", "bad_request", "subject must not be empty"},
                {"{\"subject\":\"" + tooLong + "\",\"body\":\"b\"}", "bad_request", "subject must be at most 200 characters"},
                {"{\"subject\":\"s\",\"body\":\"" + "y".repeat(CustomerApiRoutes.MAX_MESSAGE + 1) + "\"}", "bad_request",
                        "body must be at most 10000 characters"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = api.post("/v1/tickets", t.key(), c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(r.body()).as(c[0]).isEqualTo("{\"error\":\"" + c[1] + "\",\"message\":\"" + c[2] + "\"}");
        }
        String id = json(api.post("/v1/tickets", t.key(), "{\"subject\":\"s\",\"body\":\"b\"}")).get("id").asText();
        HttpResponse<String> emptyReply = api.post("/v1/tickets/" + id + "/messages", t.key(), "{\"body\":\"\"}");
        assertThat(emptyReply.statusCode()).isEqualTo(400);
        assertThat(emptyReply.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"body must not be empty\"}");
        assertThat(json(api.get("/v1/tickets", t.key()))).hasSize(1);
    }

    @Test
    void mutatedBodiesGetA201OrA400EnvelopeNeverA500() throws Exception {
        Tenant t = tenant();
        java.util.Random random = new java.util.Random(20261121L);
        String[] seeds = {"{\"subject\":\"s\",\"body\":\"b\"}", "{\"subject\":\"\u00e9\\u0000\",\"body\":[1,{\"a\":null}]}",
                "{\"name\":\"x\",\"max_browser_sessions\":99999999999999999999}"};
        String[] paths = {"/v1/tickets", "/admin/v1/customers", "/admin/v1/leases", "/admin/v1/keys"};
        for (int i = 0; i < 300; i++) {
            byte[] body = seeds[random.nextInt(seeds.length)].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits && body.length > 0; e++) {
                switch (random.nextInt(3)) {
                    case 0 -> body[random.nextInt(body.length)] = (byte) random.nextInt(256);
                    case 1 -> body = java.util.Arrays.copyOf(body, random.nextInt(body.length));
                    default -> {
                        int at = random.nextInt(body.length);
                        byte[] grown = new byte[body.length + 1];
                        System.arraycopy(body, 0, grown, 0, at);
                        String alphabet = "{}[]\",:0-e.tn\\";
                        grown[at] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
                        System.arraycopy(body, at, grown, at + 1, body.length - at);
                        body = grown;
                    }
                }
            }
            String path = paths[i % paths.length];
            String key = path.startsWith("/v1") ? t.key() : operatorKey;
            HttpResponse<String> r = api.raw(HttpRequest.newBuilder(api.uri(path)).header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
            assertThat(r.statusCode()).as(path + " " + new String(body, java.nio.charset.StandardCharsets.UTF_8)).isIn(201, 400, 404);
            if (r.statusCode() != 201) {
                assertThat(json(r).get("error").asText()).isNotEmpty();
            }
        }
    }

    @Test
    void oversizedBodyIs413AndNothingIsStored() throws Exception {
        Tenant t = tenant();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = api.post("/v1/tickets", t.key(),
                    "{\"subject\":\"s\",\"body\":\"" + "z".repeat(70_000 + i * 10_000) + "\"}");
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(r.body()).isEqualTo("{\"error\":\"payload_too_large\",\"message\":\"request body exceeds 65536 bytes\"}");
        }
        assertThat(api.get("/v1/tickets", t.key()).body()).isEqualTo("[]");
    }

    @Test
    void wrongMethodOnACustomerRouteIs405() throws Exception {
        HttpResponse<String> r = api.send("DELETE", "/v1/devices", tenant().key(), null);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("\"error\":\"method_not_allowed\"");
    }

    static void assertState(JsonNode t, String status, boolean customerClosed, boolean operatorClosed, String awaiting,
                            boolean complete) {
        assertThat(t.get("status").asText()).isEqualTo(status);
        assertThat(t.get("customer_closed").asBoolean()).isEqualTo(customerClosed);
        assertThat(t.get("operator_closed").asBoolean()).isEqualTo(operatorClosed);
        if (awaiting == null) {
            assertThat(t.get("awaiting_close_from").isNull()).isTrue();
        } else {
            assertThat(t.get("awaiting_close_from").asText()).isEqualTo(awaiting);
        }
        assertThat(t.get("complete").asBoolean()).isEqualTo(complete);
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // --- strict UTF-8 and pipelining on the real API ---

    @Test
    void overlongUtf8InATicketIs400AndNothingIsStored() throws Exception {
        Tenant t = tenant();
        String head = "POST /v1/tickets HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + t.key()
                + "\r\nContent-Type: application/json\r\nContent-Length: ";
        // "\xc0\xaf" is an overlong '/': a lenient decoder stores "a/b"
        byte[] overlong = concat("{\"subject\":\"a".getBytes(), new byte[] {(byte) 0xc0, (byte) 0xaf}, "b\",\"body\":\"x\"}".getBytes());
        byte[] surrogate = concat("{\"subject\":\"a".getBytes(), new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, "\",\"body\":\"x\"}".getBytes());
        try (RawHttp c = new RawHttp(gateway.httpPort())) {
            for (byte[] body : List.of(overlong, surrogate)) {
                RawHttp.Reply r = c.send(head + body.length + "\r\n\r\n").send(body).read();
                assertThat(r.status()).isEqualTo(400);
                assertThat(r.body()).isEqualTo("{\"error\":\"invalid_json\",\"message\":\"request body is not valid UTF-8\"}");
            }
        }
        HttpResponse<String> escaped = api.post("/v1/tickets", t.key(), "{\"subject\":\"a\\ud800\",\"body\":\"x\"}");
        assertThat(escaped.statusCode()).isEqualTo(400);
        assertThat(escaped.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"subject must be valid Unicode text\"}");
        HttpResponse<String> path = api.get("/v1/tickets/%C0%AF", t.key());
        assertThat(path.statusCode()).isEqualTo(400);
        assertThat(path.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"the request target is not valid UTF-8\"}");
        assertThat(new Tickets(db).list(t.customer().id(), null)).isEmpty();
        assertThat(api.post("/v1/tickets", t.key(), "{\"subject\":\"caf\u00e9 \u2603\",\"body\":\"x\"}").statusCode()).isEqualTo(201);
        assertThat(new Tickets(db).list(t.customer().id(), null)).extracting(Tickets.Ticket::subject).containsExactly("caf\u00e9 \u2603");
    }

    @Test
    void pipelinedRequestsAreAnsweredInRequestOrder() throws Exception {
        Tenant t = tenant();
        String auth = "Authorization: Bearer " + t.key() + "\r\n";
        try (RawHttp c = new RawHttp(gateway.httpPort())) {
            c.send("GET /v1/devices HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            List<RawHttp.Reply> replies = c.readAll();
            assertThat(replies).extracting(RawHttp.Reply::body)
                    .containsExactly("[]", "{\"status\":\"ok\"}", "{\"error\":\"not_found\",\"message\":\"no route for GET /nope\"}");
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
