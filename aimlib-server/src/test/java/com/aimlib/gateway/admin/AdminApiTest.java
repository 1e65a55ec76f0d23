package com.aimlib.gateway.admin;

import static com.aimlib.gateway.api.ApiClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.api.ApiClient;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminApiTest {
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static ApiClient api;
    static String op;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
        api = new ApiClient(gateway);
        op = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return json(r);
    }

    static String customer(String name) throws Exception {
        return ok(api.post("/admin/v1/customers", op, "{\"name\":\"" + name + "\"}"), 201).get("id").asText();
    }

    static String device(String name) throws Exception {
        return ok(api.post("/admin/v1/devices", op, "{\"name\":\"" + name + "\",\"carrier\":\"local\"}"), 201).get("id").asText();
    }

    @Test
    void onlyOperatorKeysGetIn() throws Exception {
        String c = customer("gatekeeper");
        String customerKey = ok(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c + "\"}"), 201).get("key").asText();
        for (String key : new String[] {null, customerKey, "ak_op_unknown", "garbage"}) {
            HttpResponse<String> r = api.get("/admin/v1/customers", key);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).isEqualTo("{\"error\":\"unauthorized\"}");
        }
    }

    @Test
    void customersAreCreatedListedSuspendedReactivatedAndCapped() throws Exception {
        JsonNode c = ok(api.post("/admin/v1/customers", op, "{\"name\":\"acme\",\"max_browser_sessions\":7}"), 201);
        assertThat(c.get("name").asText()).isEqualTo("acme");
        assertThat(c.get("status").asText()).isEqualTo("active");
        assertThat(c.get("max_browser_sessions").asInt()).isEqualTo(7);
        String id = c.get("id").asText();
        assertThat(ok(api.post("/admin/v1/customers", op, "{\"name\":\"defaults\"}"), 201).get("max_browser_sessions").asInt()).isEqualTo(5);

        HttpResponse<String> dup = api.post("/admin/v1/customers", op, "{\"name\":\"acme\"}");
        assertThat(dup.statusCode()).isEqualTo(409);
        assertThat(dup.body()).isEqualTo("{\"error\":\"conflict\",\"message\":\"a customer named acme already exists\"}");

        assertThat(ok(api.get("/admin/v1/customers", op), 200).findValuesAsText("name")).contains("acme", "defaults");
        assertThat(ok(api.get("/admin/v1/customers/" + id, op), 200).get("name").asText()).isEqualTo("acme");
        assertThat(ok(api.post("/admin/v1/customers/" + id + "/suspend", op, null), 200).get("status").asText()).isEqualTo("suspended");
        assertThat(ok(api.post("/admin/v1/customers/" + id + "/reactivate", op, null), 200).get("status").asText()).isEqualTo("active");
        JsonNode patched = ok(api.send("PATCH", "/admin/v1/customers/" + id, op, "{\"max_browser_sessions\":2}"), 200);
        assertThat(patched.get("max_browser_sessions").asInt()).isEqualTo(2);
        assertThat(patched.get("status").asText()).isEqualTo("active");

        HttpResponse<String> missing = api.get("/admin/v1/customers/" + UUID.randomUUID(), op);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("{\"error\":\"not_found\",\"message\":\"customer not found\"}");
        assertThat(api.get("/admin/v1/customers/xyz", op).body()).isEqualTo("{\"error\":\"bad id\"}");
        HttpResponse<String> badCap = api.send("PATCH", "/admin/v1/customers/" + id, op, "{\"max_browser_sessions\":\"many\"}");
        assertThat(badCap.statusCode()).isEqualTo(400);
        assertThat(badCap.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"max_browser_sessions must be an integer\"}");
        HttpResponse<String> badStatus = api.send("PATCH", "/admin/v1/customers/" + id, op, "{\"status\":\"gone\"}");
        assertThat(badStatus.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"status must be one of active, suspended\"}");
    }

    @Test
    void keysAreMintedOnceListedByCustomerAndPrefixAndRevoked() throws Exception {
        String c = customer("keyholder");
        JsonNode minted = ok(api.post("/admin/v1/keys", op,
                "{\"customer_id\":\"" + c + "\",\"name\":\"ci\",\"scopes\":[\"proxies.read\"]}"), 201);
        String plaintext = minted.get("key").asText();
        assertThat(plaintext).startsWith("ak_live_").hasSize(48);
        assertThat(plaintext).startsWith(minted.get("prefix").asText());
        assertThat(minted.get("kind").asText()).isEqualTo("customer");
        assertThat(minted.get("scopes").toString()).isEqualTo("[\"proxies.read\"]");
        assertThat(api.get("/v1/devices", plaintext).statusCode()).isEqualTo(200);

        JsonNode byCustomer = ok(api.get("/admin/v1/keys?customer_id=" + c, op), 200);
        assertThat(byCustomer).hasSize(1);
        assertThat(byCustomer.get(0).has("key")).isFalse();
        assertThat(byCustomer.toString()).doesNotContain(plaintext);
        JsonNode byPrefix = ok(api.get("/admin/v1/keys?prefix=" + minted.get("prefix").asText(), op), 200);
        assertThat(byPrefix.findValuesAsText("id")).containsExactly(minted.get("id").asText());

        JsonNode revoked = ok(api.post("/admin/v1/keys/" + minted.get("id").asText() + "/revoke", op, null), 200);
        assertThat(revoked.get("revoked_at").isNull()).isFalse();
        assertThat(api.get("/v1/devices", plaintext).statusCode()).isEqualTo(401);

        JsonNode operatorKey = ok(api.post("/admin/v1/keys", op, "{\"kind\":\"operator\",\"name\":\"second\"}"), 201);
        assertThat(operatorKey.get("key").asText()).startsWith("ak_op_");
        assertThat(api.get("/admin/v1/hosts", operatorKey.get("key").asText()).statusCode()).isEqualTo(200);

        assertThat(api.post("/admin/v1/keys", op, "{}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"customer_id is required\"}");
        assertThat(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c + "\",\"scopes\":[\"root\"]}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"scopes may contain only proxies.read, sessions.write, tickets.write\"}");
        assertThat(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + UUID.randomUUID() + "\"}").statusCode()).isEqualTo(404);
        assertThat(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c + "\",\"expires_at\":\"2001-01-01T00:00:00Z\"}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"expires_at must be in the future\"}");
        assertThat(api.post("/admin/v1/keys/" + UUID.randomUUID() + "/revoke", op, null).statusCode()).isEqualTo(404);
    }

    @Test
    void devicesAreRegisteredAndUpdated() throws Exception {
        JsonNode d = ok(api.post("/admin/v1/devices", op,
                "{\"name\":\"pixel-1\",\"region\":\"uswest1\",\"carrier\":\"t-mobile\",\"monthly_cap_bytes\":1000000}"), 201);
        assertThat(d.get("region").asText()).isEqualTo("uswest1");
        assertThat(d.get("max_browser_sessions").asInt()).isEqualTo(1);
        assertThat(d.get("monthly_cap_bytes").asLong()).isEqualTo(1_000_000);
        String id = d.get("id").asText();
        JsonNode local = ok(api.post("/admin/v1/devices", op, "{\"name\":\"pixel-2\"}"), 201);
        assertThat(local.get("region").asText()).isEqualTo("local");
        assertThat(local.get("carrier").isNull()).isTrue();

        JsonNode patched = ok(api.send("PATCH", "/admin/v1/devices/" + id, op,
                "{\"region\":\"useast1\",\"carrier\":\"verizon\",\"max_browser_sessions\":3,\"monthly_cap_bytes\":5}"), 200);
        assertThat(patched.get("region").asText()).isEqualTo("useast1");
        assertThat(patched.get("carrier").asText()).isEqualTo("verizon");
        assertThat(patched.get("max_browser_sessions").asInt()).isEqualTo(3);
        assertThat(patched.get("monthly_cap_bytes").asLong()).isEqualTo(5);
        assertThat(ok(api.get("/admin/v1/devices/" + id, op), 200).get("carrier").asText()).isEqualTo("verizon");
        assertThat(ok(api.get("/admin/v1/devices", op), 200).findValuesAsText("name")).contains("pixel-1", "pixel-2");

        assertThat(api.post("/admin/v1/devices", op, "{\"name\":\"pixel-1\"}").statusCode()).isEqualTo(409);
        assertThat(api.post("/admin/v1/devices", op, "{\"name\":\"x\",\"monthly_cap_bytes\":-1}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"monthly_cap_bytes must be between 0 and 9223372036854775807\"}");
        assertThat(api.post("/admin/v1/devices", op, "{\"name\":\"x\",\"max_browser_sessions\":1.5}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"max_browser_sessions must be an integer\"}");
        assertThat(api.send("PATCH", "/admin/v1/devices/" + UUID.randomUUID(), op, "{}").statusCode()).isEqualTo(404);

        JsonNode located = ok(api.send("PATCH", "/admin/v1/devices/" + id, op, "{\"timezone\":\"US/Pacific\",\"locale\":\"en_us\"}"), 200);
        assertThat(located.get("timezone").asText()).isEqualTo("America/Los_Angeles");
        assertThat(located.get("locale").asText()).isEqualTo("en-US");
        assertThat(located.get("carrier").asText()).as("other fields untouched").isEqualTo("verizon");
        assertThat(api.send("PATCH", "/admin/v1/devices/" + id, op, "{\"timezone\":\"Mars/Olympus\"}").body())
                .startsWith("{\"error\":\"bad_request\",\"message\":\"timezone: ");
        assertThat(ok(api.send("PATCH", "/admin/v1/devices/" + id, op, "{\"timezone\":null}"), 200).get("timezone").isNull()).isTrue();
    }

    @Test
    void leasesCarryAProxyOfEitherProtocolAndEnd() throws Exception {
        String c = customer("leaser");
        String key = ok(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c + "\"}"), 201).get("key").asText();
        String d1 = device("lease-socks");
        String d2 = device("lease-http");
        String d3 = device("lease-none");
        JsonNode socks = ok(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d1 + "\"}"), 201);
        assertThat(socks.get("status").asText()).isEqualTo("active");
        assertThat(socks.get("proxy").get("protocol").asText()).isEqualTo("socks5");
        assertThat(socks.get("proxy").get("url").asText()).startsWith("socks5h://").endsWith("@127.0.0.1:" + gateway.socksPort());
        JsonNode http = ok(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d2
                + "\",\"protocol\":\"http\",\"ends_at\":\"2099-01-01T00:00:00Z\"}"), 201);
        assertThat(http.get("proxy").get("url").asText()).startsWith("http://").endsWith("@127.0.0.1:" + gateway.httpProxyPort());
        assertThat(http.get("ends_at").asText()).isEqualTo("2099-01-01T00:00:00Z");
        JsonNode none = ok(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d3
                + "\",\"protocol\":\"none\"}"), 201);
        assertThat(none.get("proxy").isNull()).isTrue();

        JsonNode devices = json(api.get("/v1/devices", key));
        assertThat(devices.findValuesAsText("device_id")).containsExactly(d1, d2, d3);
        assertThat(devices.get(0).get("proxy").get("url").asText()).isEqualTo(socks.get("proxy").get("url").asText());

        HttpResponse<String> taken = api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d1 + "\"}");
        assertThat(taken.statusCode()).isEqualTo(409);
        assertThat(taken.body()).isEqualTo("{\"error\":\"conflict\",\"message\":\"device " + d1 + " already has an active lease\"}");
        assertThat(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d1 + "\",\"protocol\":\"ftp\"}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"protocol must be one of http, none, socks5\"}");
        assertThat(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"nope\"}").body())
                .isEqualTo("{\"error\":\"bad_request\",\"message\":\"device_id must be a UUID\"}");
        assertThat(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + UUID.randomUUID() + "\"}").body())
                .isEqualTo("{\"error\":\"not_found\",\"message\":\"device not found\"}");

        assertThat(ok(api.get("/admin/v1/leases?customer_id=" + c + "&status=active", op), 200)).hasSize(3);
        JsonNode ended = ok(api.post("/admin/v1/leases/" + socks.get("id").asText() + "/end", op, null), 200);
        assertThat(ended.get("status").asText()).isEqualTo("ended");
        assertThat(ended.get("ended_at").isNull()).isFalse();
        assertThat(ok(api.get("/admin/v1/leases?customer_id=" + c + "&status=ended", op), 200)).hasSize(1);
        assertThat(json(api.get("/v1/devices", key)).findValuesAsText("device_id")).containsExactly(d2, d3);
        assertThat(ok(api.post("/admin/v1/leases", op, "{\"customer_id\":\"" + c + "\",\"device_id\":\"" + d1 + "\"}"), 201)
                .get("status").asText()).isEqualTo("active");
    }

    @Test
    void hostsListTheBrowserHostRows() throws Exception {
        UUID host = UUID.randomUUID();
        db.jdbi().useHandle(h -> h.execute(
                "INSERT INTO browser_hosts (id, name, region, address, capacity) VALUES (?, 'host-a', 'local', '127.0.0.1:7790', 4)", host));
        JsonNode hosts = ok(api.get("/admin/v1/hosts", op), 200);
        assertThat(hosts).hasSize(1);
        assertThat(hosts.get(0).get("id").asText()).isEqualTo(host.toString());
        assertThat(hosts.get(0).get("capacity").asInt()).isEqualTo(4);
        assertThat(hosts.get(0).get("sessions").asInt()).isEqualTo(0);
        assertThat(hosts.get(0).get("status").asText()).isEqualTo("up");
    }

    @Test
    void operatorSeesAllTicketsAndAnswersThem() throws Exception {
        String c1 = customer("t1");
        String c2 = customer("t2");
        String k1 = ok(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c1 + "\"}"), 201).get("key").asText();
        String k2 = ok(api.post("/admin/v1/keys", op, "{\"customer_id\":\"" + c2 + "\"}"), 201).get("key").asText();
        String t1 = ok(api.post("/v1/tickets", k1, "{\"subject\":\"one\",\"body\":\"b\"}"), 201).get("id").asText();
        ok(api.post("/v1/tickets", k2, "{\"subject\":\"two\",\"body\":\"b\"}"), 201);

        JsonNode all = ok(api.get("/admin/v1/tickets", op), 200);
        assertThat(all.findValuesAsText("subject")).contains("one", "two");
        assertThat(all.get(0).has("customer_id")).isTrue();
        assertThat(ok(api.get("/admin/v1/tickets?customer_id=" + c2, op), 200).findValuesAsText("subject")).containsExactly("two");

        JsonNode replied = ok(api.post("/admin/v1/tickets/" + t1 + "/messages", op, "{\"body\":\"we are on it\"}"), 201);
        assertThat(replied.get("messages").get(1).get("author").asText()).isEqualTo("operator");
        ok(api.post("/admin/v1/tickets/" + t1 + "/close", op, null), 200);
        JsonNode closed = ok(api.post("/v1/tickets/" + t1 + "/close", k1, null), 200);
        assertThat(closed.get("status").asText()).isEqualTo("closed");
        assertThat(ok(api.get("/admin/v1/tickets?status=closed", op), 200).findValuesAsText("id")).containsExactly(t1);
        assertThat(ok(api.get("/admin/v1/tickets?status=open", op), 200).findValuesAsText("id")).doesNotContain(t1);
        assertThat(ok(api.get("/admin/v1/tickets/" + t1, op), 200).get("complete").asBoolean()).isTrue();
        assertThat(api.get("/admin/v1/tickets/" + UUID.randomUUID(), op).body()).isEqualTo("{\"error\":\"ticket not found\"}");
        assertThat(api.get("/admin/v1/tickets?status=maybe", op).statusCode()).isEqualTo(400);
    }
}
