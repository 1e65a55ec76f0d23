package com.aimlib.bench;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Session start through a second gateway replica against the replica the browser host registered with (issue 12,
 * {@code bench/replicas/session-start.sh}): a remote host (own HTTP API and CDP relay endpoint, reports over HTTP)
 * registered through replica A; sessions created, driven by Playwright for Java (connect, new page, goto a local page)
 * and stopped alternately through A and through B, in one run. Both replicas reach the host the same way (its API
 * and relay endpoint from the row), so the figure shows what the second replica costs a customer.
 */
@EnabledIfSystemProperty(named = "aimlib.bench", matches = "true")
class ReplicaSessionStartBench {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void run() throws Exception {
        int n = Integer.getInteger("aimlib.bench.sessions", 30);
        List<Double> readyA = new ArrayList<>(), readyB = new ArrayList<>(), totalA = new ArrayList<>(), totalB = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        try (BrowserFixture fx = BrowserFixture.remote(4);
             Gateway b = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), fx.db, fx.box, BrowserSettings.defaults().manualReaper());
             Playwright pw = Playwright.create()) {
            String[] bases = {"http://127.0.0.1:" + fx.gateway.httpPort(), "http://127.0.0.1:" + b.httpPort()};
            out.append(String.format("# replica session-start bench  %s  cores=%d  load average at start %s%n", java.time.Instant.now(),
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim()));
            for (int i = 0; i < 4; i++) { // warm-up: JIT, Playwright's driver, page cache
                once(fx, pw, bases[i % 2], null, null);
            }
            for (int i = 0; i < n; i++) {
                // interleaved, the order flipped every other round
                boolean aFirst = i % 2 == 0;
                once(fx, pw, bases[aFirst ? 0 : 1], aFirst ? readyA : readyB, aFirst ? totalA : totalB);
                once(fx, pw, bases[aFirst ? 1 : 0], aFirst ? readyB : readyA, aFirst ? totalB : totalA);
            }
        }
        out.append(String.format("## %d sessions per replica, remote host registered through A; create -> ready, then Playwright connectOverCDP + newPage + goto + close%n", n));
        out.append(String.format("POST -> ready          direct (A) median %.1f ms p90 %.1f | second replica (B) median %.1f ms p90 %.1f | B/A %.2fx%n",
                median(readyA), p90(readyA), median(readyB), p90(readyB), median(readyB) / median(readyA)));
        out.append(String.format("POST -> page loaded     direct (A) median %.1f ms p90 %.1f | second replica (B) median %.1f ms p90 %.1f | B/A %.2fx%n",
                median(totalA), p90(totalA), median(totalB), p90(totalB), median(totalB) / median(totalA)));
        System.out.print(out);
        Files.writeString(Path.of("target", "bench-replica-session-start.txt"), out.toString());
    }

    private static void once(BrowserFixture fx, Playwright pw, String base, List<Double> ready, List<Double> total) throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        long t0 = System.nanoTime();
        HttpResponse<String> c = call("POST", base + "/v1/devices/" + t.device() + "/browser", t.key(), "{}");
        if (c.statusCode() != 201) {
            throw new IllegalStateException("create: " + c.statusCode() + " " + c.body());
        }
        JsonNode created = M.readTree(c.body());
        while (!"ready".equals(M.readTree(call("GET", base + "/v1/devices/" + t.device() + "/browser", t.key(), null).body()).path("status").asText())) {
            if (System.nanoTime() - t0 > 60_000_000_000L) {
                throw new IllegalStateException("not ready");
            }
            Thread.sleep(2);
        }
        long t1 = System.nanoTime();
        Browser br = pw.chromium().connectOverCDP(base + "/cdp/" + created.get("session_id").asText(),
                new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + created.get("connect_token").asText())));
        Page p = br.contexts().get(0).newPage();
        p.navigate(fx.whoami.url("/ip"));
        long t2 = System.nanoTime();
        br.close();
        if (ready != null) {
            ready.add((t1 - t0) / 1e6);
            total.add((t2 - t0) / 1e6);
        }
        call("DELETE", base + "/v1/devices/" + t.device() + "/browser", t.key(), null);
        fx.awaitStatus(t, "404", Duration.ofSeconds(30));
    }

    private static HttpResponse<String> call(String method, String url, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static double p90(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get((int) Math.min(s.size() - 1, Math.round(s.size() * 0.9)));
    }
}
