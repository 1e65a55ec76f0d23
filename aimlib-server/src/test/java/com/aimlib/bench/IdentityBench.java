package com.aimlib.bench;

import com.aimlib.host.BrowserHost;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What applying the device identity costs ({@code bench/identity/run.sh}): POST → ready (cold, a new Chromium per
 * session, egress probe included) and opening a new tab (raw CDP through the relay: create, attach, first evaluate
 * answered), with the host applying the identity and with it switched off ({@code HostSettings.withIdentity}), in
 * alternating rounds of one run on one machine.
 */
@EnabledIfSystemProperty(named = "aimlib.bench", matches = "true")
class IdentityBench {
    private static final ObjectMapper M = new ObjectMapper();
    private final StringBuilder out = new StringBuilder();

    private void report(String fmt, Object... args) {
        String line = String.format(fmt, args);
        System.out.println(line);
        out.append(line).append('\n');
    }

    @Test
    void run() throws Exception {
        int rounds = Integer.getInteger("aimlib.bench.rounds", 3);
        int sessions = Integer.getInteger("aimlib.bench.sessions", 4);
        int tabs = Integer.getInteger("aimlib.bench.tabs", 10);
        long[][] ready = {new long[rounds * sessions], new long[rounds * sessions]};
        long[][] tab = {new long[rounds * sessions * tabs], new long[rounds * sessions * tabs]};
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("com.aimlib.host.BrowserHost"))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        try (BrowserFixture fx = new BrowserFixture(4)) {
            report("# identity bench  %s  cores=%d  load average at start %s", java.time.Instant.now(),
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
            for (int round = 0; round < rounds; round++) {
                for (int mode = 0; mode < 2; mode++) {
                    fx.host.close();
                    fx.host = BrowserHost.start(fx.hostSettings(4).withIdentity(mode == 0), fx.gateway.sessions());
                    fx.gateway.cdpRelay().clientIdentity(mode == 0);
                    for (int i = 0; i < sessions; i++) {
                        int at = round * sessions + i;
                        session(fx, ready[mode], at, tab[mode], at * tabs, tabs);
                    }
                }
            }
        }
        report("## %d rounds x %d sessions per mode, cold (a new Chromium per POST), %d new tabs per session", rounds, sessions, tabs);
        String[] names = {"with identity   ", "without identity"};
        for (int mode = 0; mode < 2; mode++) {
            report("%s  POST -> ready p50 %s p90 %s   new tab p50 %s p90 %s", names[mode], ms(p(ready[mode], 50)), ms(p(ready[mode], 90)),
                    ms(p(tab[mode], 50)), ms(p(tab[mode], 90)));
        }
        report("identity / none at p50: POST -> ready %+.1f %%, new tab %+.1f %%",
                100.0 * (p(ready[0], 50) - p(ready[1], 50)) / p(ready[1], 50), 100.0 * (p(tab[0], 50) - p(tab[1], 50)) / p(tab[1], 50));
        Files.writeString(Path.of("target", "bench-identity.txt"), out.toString());
    }

    private static void session(BrowserFixture fx, long[] ready, int at, long[] tab, int tabAt, int tabs) throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        long t0 = System.nanoTime();
        JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
        String id = c.get("session_id").asText();
        while (!"ready".equals(BrowserFixture.json(fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null)).path("status").asText())) {
            if (System.nanoTime() - t0 > 30_000_000_000L) {
                throw new IllegalStateException("not ready");
            }
            Thread.sleep(5);
        }
        ready[at] = System.nanoTime() - t0;
        try (CdpClient cdp = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id, c.get("connect_token").asText())) {
            int n = 1;
            for (int i = 0; i < tabs; i++) {
                long s = System.nanoTime();
                String target = M.readTree(cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"))
                        .path("result").path("targetId").asText();
                String session = M.readTree(cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.attachToTarget\",\"params\":{\"targetId\":\""
                        + target + "\",\"flatten\":true}}")).path("result").path("sessionId").asText();
                cdp.call("{\"id\":" + n++ + ",\"sessionId\":\"" + session + "\",\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"navigator.hardwareConcurrency\"}}");
                tab[tabAt + i] = System.nanoTime() - s;
                cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.closeTarget\",\"params\":{\"targetId\":\"" + target + "\"}}");
            }
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        fx.awaitStatus(t, "404", Duration.ofSeconds(30));
    }

    private static long p(long[] v, int pct) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * pct / 100)];
    }

    private static String ms(long nanos) {
        return String.format("%.1f ms", nanos / 1e6);
    }
}
