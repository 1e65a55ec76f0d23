package com.aimlib.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.net.EventLoops;
import com.aimlib.testing.RawHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP listener's hygiene on the wire, against a listener with a small route table of its own:
 * deadlines, the connection cap, request order under pipelining, JSON refusals, strict UTF-8, bounded labels.
 */
class HttpHygieneTest {
    static final Duration DEADLINE = Duration.ofMillis(400);
    static final HttpLimits LIMITS = new HttpLimits(DEADLINE, DEADLINE, DEADLINE, 10_000);
    static EventLoopGroup workers;
    static ExecutorService blocking;
    static PrometheusMeterRegistry meters;
    static HttpServer server;

    @BeforeAll
    static void start() throws Exception {
        workers = EventLoops.group(2, "test-io");
        blocking = Executors.newVirtualThreadPerTaskExecutor();
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        server = start("test", LIMITS);
    }

    static HttpServer start(String name, HttpLimits limits) throws InterruptedException {
        Router router = new Router()
                .get("/fast", r -> Response.ok(Map.of("route", "fast")))
                .get("/slow/{ms}", r -> {
                    Thread.sleep(Long.parseLong(r.param("ms")));
                    return Response.ok(Map.of("slow", Long.parseLong(r.param("ms"))));
                })
                .get("/seq/{n}", r -> {
                    // Later requests finish first: without ordering their responses would overtake.
                    Thread.sleep(Math.max(0, 200 - 10 * Long.parseLong(r.param("n"))));
                    return Response.ok(Map.of("n", Long.parseLong(r.param("n"))));
                })
                .get("/items/{name}", r -> Response.ok(Map.of("name", r.param("name"))))
                .post("/echo", r -> Response.ok(Map.of("fields", r.jsonObject().size())));
        return HttpServer.start(name, "127.0.0.1", 0, 1024, limits, router, blocking, meters, workers);
    }

    @AfterAll
    static void stop() {
        server.close();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdown();
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    // --- deadlines ---

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            assertThat(c.send(get("/fast")).read().status()).isEqualTo(200);
            long t0 = System.nanoTime();
            assertThat(c.read()).as("closed without an unsolicited response").isNull();
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertThat(waited).isBetween(DEADLINE.toMillis() - 100, DEADLINE.toMillis() + 3_000);
        }
    }

    @Test
    void keepAliveConnectionInUseStaysOpenPastTheIdleTimeout() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            for (int i = 0; i < 4; i++) {
                assertThat(c.send(get("/fast")).read().status()).isEqualTo(200);
                sleep(DEADLINE.toMillis() / 2);
            }
        }
    }

    @Test
    void connectionThatNeverSendsARequestIsClosed() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            assertThat(c.read()).isNull();
        }
    }

    @Test
    void halfARequestLineGets408AndIsClosed() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.send("GET /fa");
            RawHttp.Reply r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).isEqualTo("{\"error\":\"request_timeout\",\"message\":\"the request headers did not arrive within 400 ms\"}");
            assertThat(r.headers()).containsEntry("connection", "close");
            assertThat(c.read()).isNull();
        }
    }

    @Test
    void trickledHeadersGet408EvenThoughEveryByteIsOnTime() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.send("GET /fast HTTP/1.1\r\n");
            long t0 = System.nanoTime();
            // Each header line comes well inside the deadline; the whole block does not.
            for (int i = 0; i < 20 && c.socket.getInputStream().available() == 0; i++) {
                sleep(100);
                c.send("X-Trickle-" + i + ": y\r\n");
            }
            RawHttp.Reply r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).contains("\"error\":\"request_timeout\"").contains("request headers");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(DEADLINE.toMillis() + 1_500);
        }
    }

    @Test
    void trickledBodyGets408() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
            for (int i = 0; i < 20 && c.socket.getInputStream().available() == 0; i++) {
                sleep(100);
                c.send(" ");
            }
            RawHttp.Reply r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).isEqualTo("{\"error\":\"request_timeout\",\"message\":\"the request body did not arrive within 400 ms\"}");
        }
    }

    @Test
    void slowHandlerIsNotCutOffByTheDeadlines() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Reply r = c.send(get("/slow/1500")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"slow\":1500}");
            // And the connection is still good for the next request.
            assertThat(c.send(get("/fast")).read().status()).isEqualTo(200);
        }
    }

    // --- pipelining ---

    @Test
    void pipelinedResponsesLeaveInRequestOrder() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            c.send(get("/slow/300") + get("/fast") + get("/nope"));
            assertThat(c.read().body()).isEqualTo("{\"slow\":300}");
            assertThat(c.read().body()).isEqualTo("{\"route\":\"fast\"}");
            assertThat(c.read().status()).isEqualTo(404);
        }
    }

    @Test
    void twentyPipelinedRequestsEndingWithConnectionCloseGetTwentyResponses() throws Exception {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 19; i++) {
            all.append(get("/seq/" + i));
        }
        all.append("GET /seq/19 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        try (RawHttp c = new RawHttp(server.port())) {
            List<RawHttp.Reply> replies = c.send(all.toString()).readAll();
            List<String> bodies = replies.stream().map(RawHttp.Reply::body).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add("{\"n\":" + i + "}");
            }
            assertThat(bodies).containsExactlyElementsOf(expected);
            assertThat(replies.get(19).headers()).containsEntry("connection", "close");
        }
    }

    // --- the HTTP stack's own refusals, all JSON ---

    @Test
    void unsupportedExpectIs417InTheEnvelope() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Reply r = c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\n{}").read();
            assertThat(r.status()).isEqualTo(417);
            assertThat(r.headers()).containsEntry("content-type", "application/json");
            assertThat(r.body()).isEqualTo("{\"error\":\"expectation_failed\",\"message\":\"the only Expect value supported is 100-continue\"}");
            // Closed, so a body the client sends anyway is never read as a next request.
            assertThat(r.headers()).containsEntry("connection", "close");
            assertThat(c.read()).isNull();
        }
    }

    @Test
    void expectContinueWithAnOversizedContentLengthIs413InTheEnvelope() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Reply r = c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).isEqualTo("{\"error\":\"payload_too_large\",\"message\":\"request body exceeds 1024 bytes\"}");
            assertThat(c.read()).isNull();
        }
    }

    @Test
    void expectContinueWithinTheLimitGets100ThenTheAnswer() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            assertThat(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").read().status())
                    .isEqualTo(100);
            assertThat(c.send("{}").read().body()).isEqualTo("{\"fields\":0}");
        }
    }

    @Test
    void oversizedHeadersAre431InTheEnvelope() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Reply r = c.send("GET /fast HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).isEqualTo("{\"error\":\"header_too_large\",\"message\":\"request headers exceed 16384 bytes\"}");
        }
    }

    @Test
    void garbageIs400InTheEnvelope() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Reply r = c.send("GET /fast HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"malformed HTTP request\"}");
        }
    }

    // --- strict UTF-8 ---

    @Test
    void overlongUtf8InThePathIs400() throws Exception {
        try (RawHttp c = new RawHttp(server.port())) {
            for (String bad : new String[] {"/items/%C0%AF", "/items/%ED%A0%80", "/items/%FF", "/items/x?q=%E0%80%AF"}) {
                RawHttp.Reply r = c.send(get(bad)).read();
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.body()).isEqualTo("{\"error\":\"bad_request\",\"message\":\"the request target is not valid UTF-8\"}");
            }
            assertThat(c.send(get("/items/%C3%A9")).read().body()).isEqualTo("{\"name\":\"é\"}");
        }
    }

    @Test
    void overlongUtf8InAJsonBodyIs400() throws Exception {
        byte[] head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\n\r\n".getBytes();
        byte[] body = {'{', '"', 'a', '"', ':', '"', '.', '.', (byte) 0xc0, (byte) 0xaf, 'x', '"', '}'};
        try (RawHttp c = new RawHttp(server.port())) {
            c.send(head).send(body);
            RawHttp.Reply r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"invalid_json\",\"message\":\"request body is not valid UTF-8\"}");
        }
        assertThat(StrictUtf8.isValid("{\"a\":\"é\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isTrue();
    }

    // --- the connection cap ---

    @Test
    void connectionsOverTheCapGet503AndOnesUnderItAreServed() throws Exception {
        HttpServer capped = start("capped", new HttpLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30), 3));
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(new RawHttp(capped.port()));
            }
            assertThat(held.get(0).send(get("/fast")).read().status()).isEqualTo(200);
            try (RawHttp over = new RawHttp(capped.port())) {
                RawHttp.Reply r = over.read();
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.headers()).containsEntry("connection", "close").containsEntry("content-type", "application/json");
                assertThat(r.body()).isEqualTo("{\"error\":\"too_many_connections\",\"message\":"
                        + "\"the server is at its limit of 3 open connections; retry shortly\"}");
                assertThat(over.read()).isNull();
            }
            // Connections under the cap are unaffected.
            assertThat(held.get(1).send(get("/fast")).read().status()).isEqualTo(200);
            held.remove(2).close();
            sleep(200);
            try (RawHttp again = new RawHttp(capped.port())) {
                assertThat(again.send(get("/fast")).read().status()).isEqualTo(200);
            }
        } finally {
            for (RawHttp h : held) {
                h.close();
            }
            capped.close();
        }
    }

    // --- metrics ---

    @Test
    void metricLabelsStayBoundedUnderRandomMethodsAndPaths() throws Exception {
        Random random = new Random(9);
        // HEAD is left out only because its answers carry no body, which this simple reader does not handle.
        String[] methods = {"GET", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"};
        try (RawHttp c = new RawHttp(server.port())) {
            for (int i = 0; i < 3_000; i++) {
                String method = random.nextInt(3) == 0 ? methods[random.nextInt(methods.length)]
                        : "M" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
                String path = "/" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
                c.send(method + " " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
                assertThat(c.read()).isNotNull();
            }
        }
        long series = meters.find("http.server.requests").timers().size();
        assertThat(series).isLessThan(100);
        assertThat(meters.find("http.server.requests").tag("method", "OTHER").tag("route", "unmatched").timer()).isNotNull();
        assertThat(HttpDispatcher.methodLabel(HttpMethod.valueOf("BREW"))).isEqualTo("OTHER");
    }
}
