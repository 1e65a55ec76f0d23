package com.aimlib.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.RawHttp;
import com.aimlib.testing.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpSurfaceTest {
    static Database db;
    static Gateway gateway;
    static String operatorKey;
    static String customerKey;
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().metricsPort(0).build(), db, box);
        Accounts accounts = new Accounts(db, box);
        operatorKey = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
        Accounts.Customer c = accounts.createCustomer("c-" + UUID.randomUUID(), 5);
        customerKey = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path));
    }

    @Test
    void healthAndReadinessAnswerWithoutAuth() throws Exception {
        assertThat(send(at("/healthz")).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = send(at("/readyz"));
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
    }

    @Test
    void ipAnswersTheCallersAddressAsText() throws Exception {
        HttpResponse<String> r = send(at("/ip"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body()).isEqualTo("127.0.0.1");
    }

    @Test
    void unknownRouteIs404InTheEnvelope() throws Exception {
        HttpResponse<String> r = send(at("/nope"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"not_found\",\"message\":\"no route for GET /nope\"}");
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        HttpResponse<String> r = send(at("/healthz").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET");
        assertThat(r.body()).contains("\"error\":\"method_not_allowed\"");
    }

    @Test
    void oversizedBodyIs413InTheEnvelope() throws Exception {
        HttpResponse<String> r = send(at("/healthz").POST(HttpRequest.BodyPublishers.ofString("x".repeat(70_000))));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).isEqualTo("{\"error\":\"payload_too_large\",\"message\":\"request body exceeds 65536 bytes\"}");
    }

    @Test
    void metricsOnTheApiPortNeedAnOperatorKey() throws Exception {
        HttpResponse<String> none = send(at("/metrics"));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).isEqualTo("{\"error\":\"unauthorized\"}");
        assertThat(send(at("/metrics").header("Authorization", "Bearer " + customerKey)).statusCode()).isEqualTo(401);
        HttpResponse<String> op = send(at("/metrics").header("Authorization", "Bearer " + operatorKey));
        assertThat(op.statusCode()).isEqualTo(200);
        assertThat(op.body()).contains("http_server_requests_seconds_count");
    }

    @Test
    void metricsCountRequestsByRouteAndStatusOnTheScraperPortWithoutAKey() throws Exception {
        send(at("/healthz"));
        send(at("/nope").method("BREW", HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.metricsPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("http_server_requests_seconds_count{method=\"GET\",route=\"/healthz\",status=\"200\"}")
                .contains("http_server_requests_seconds_count{method=\"OTHER\",route=\"unmatched\",status=\"404\"}")
                .contains("http_server_connections_open{listener=\"api\"}");
        // The scraper's listener serves /metrics and nothing else.
        assertThat(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.metricsPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void scraperPortIsOffUnlessConfigured() {
        assertThat(GatewayConfig.builder().build().metricsPort()).isNull();
        assertThat(GatewayConfig.builder().build().metricsHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void overTheConnectionCapIs503WhileConnectionsUnderItKeepGettingHealthz() throws Exception {
        try (Gateway capped = Gateway.start(GatewayConfig.builder().ephemeralPorts().httpMaxConnections(2).build(), db,
                new SecretBox(Secrets.randomBytes(32)));
             RawHttp first = new RawHttp(capped.httpPort());
             RawHttp second = new RawHttp(capped.httpPort())) {
            assertThat(first.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").read().body()).isEqualTo("{\"status\":\"ok\"}");
            try (RawHttp third = new RawHttp(capped.httpPort())) {
                RawHttp.Reply r = third.read();
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.headers()).containsEntry("connection", "close");
                assertThat(r.body()).isEqualTo("{\"error\":\"too_many_connections\","
                        + "\"message\":\"the server is at its limit of 2 open connections; retry shortly\"}");
            }
            assertThat(second.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").read().body()).isEqualTo("{\"status\":\"ok\"}");
            assertThat(first.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
        }
    }
}
