package com.aimlib.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpSurfaceTest {
    static Database db;
    static Gateway gateway;
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, new SecretBox(Secrets.randomBytes(32)));
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
    void metricsCountRequestsByRouteAndStatus() throws Exception {
        send(at("/healthz"));
        HttpResponse<String> r = send(at("/metrics"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("http_server_requests_seconds_count{method=\"GET\",route=\"/healthz\",status=\"200\"}");
    }
}
