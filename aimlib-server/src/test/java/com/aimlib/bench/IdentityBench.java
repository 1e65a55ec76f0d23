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
 * What applying the device identity costs ({@code bench/browser/identity.sh}): POST → ready (cold, a new Chromium per
 * session, egress probe included) and opening a new tab (raw CDP through the relay: create, attach, first evaluate
 * answered; and Playwright's {@code newPage()}), with the host applying the identity and with it switched off
 * ({@code HostSettings.withIdentity}), in alternating rounds of one run on one machine. New tabs are measured twice:
 * opened {@code gap} ms apart (a session in use; the relay's spare tab is ready for each) and back-to-back (a tight loop
 * outruns the spare: most are opened by the browser then). Spare tabs are on in both modes, as shipped.
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

    /** One measure: its samples per mode (0 with identity, 1 without). */
    private static final class Measure {
        final String name;
        final long[][] v;
        final int[] n = new int[2];

        Measure(String name, int size) {
            this.name = name;
            this.v = new long[][] {new long[size], new long[size]};
        }

        void add(int mode, long nanos) {
            v[mode][n[mode]++] = nanos;
        }

        long p(int mode, int pct) {
            return IdentityBench.p(Arrays.copyOf(v[mode], n[mode]), pct);
        }
    }

    @Test
    void run() throws Exception {
        int rounds = Integer.getInteger("aimlib.bench.rounds", 3);
        int sessions = Integer.getInteger("aimlib.bench.sessions", 4);
        int tabs = Integer.getInteger("aimlib.bench.tabs", 10);
        String variant = System.getProperty("aimlib.bench.variant", "both");
        int all = rounds * sessions;
        Measure ready = new Measure("POST -> ready", all);
        Measure first = new Measure("POST -> first answer", all);
        int gap = Integer.getInteger("aimlib.bench.gap", 250);
        Measure tab = new Measure("new tab, raw CDP", all * tabs);
        Measure create = new Measure("  createTarget", all * tabs);
        Measure attach = new Measure("  attachToTarget", all * tabs);
        Measure eval = new Measure("  first evaluate", all * tabs);
        Measure pwTab = new Measure("new tab, Playwright", all * tabs);
        Measure burst = new Measure("back-to-back, raw CDP", all * tabs);
        Measure pwBurst = new Measure("back-to-back, Playwright", all * tabs);
        Measure[] measures = {ready, first, tab, create, attach, eval, pwTab, burst, pwBurst};
        long[] spares = new long[2];
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("com.aimlib.host.BrowserHost"))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        try (BrowserFixture fx = new BrowserFixture(4); com.microsoft.playwright.Playwright pw = com.microsoft.playwright.Playwright.create()) {
            report("# identity bench  %s  cores=%d  load average at start %s", java.time.Instant.now(),
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
            for (int round = 0; round < rounds; round++) {
                for (int mode = 0; mode < 2; mode++) {
                    fx.host.close();
                    // "with identity" is the host's and the relay's (the shipped code); a variant keeps one of them only
                    // (-Daimlib.bench.variant=host|client), to see what each costs.
                    fx.host = BrowserHost.start(fx.hostSettings(4).withIdentity(mode == 0 && !variant.equals("client")), fx.gateway.sessions());
                    fx.gateway.cdpRelay().clientIdentity(mode == 0 && !variant.equals("host"));
                    fx.gateway.cdpRelay().spareTabs(Boolean.parseBoolean(System.getProperty("aimlib.bench.spares", "true")));
                    for (int i = 0; i < sessions; i++) {
                        long before = fx.gateway.cdpRelay().spareTabsServed();
                        session(fx, pw, mode, tabs, gap, ready, first, tab, create, attach, eval, pwTab, burst, pwBurst);
                        spares[mode] += fx.gateway.cdpRelay().spareTabsServed() - before;
                    }
                }
            }
        }
        report("## %d rounds x %d sessions per mode, cold (a new Chromium per POST), %d new tabs per session and client %d ms apart, "
                        + "then %d back-to-back; identity applied by %s; spare tabs served: %d of %d with identity, %d of %d without",
                rounds, sessions, tabs, gap, tabs, variant.equals("both") ? "the host and the relay (shipped)" : "the " + variant + " only (variant)",
                spares[0], 4L * all * tabs, spares[1], 4L * all * tabs);
        report("%-24s %22s %22s %10s", "p50 (p90)", "with identity", "without identity", "identity");
        for (Measure m : measures) {
            report("%-24s %10s (%9s) %10s (%9s) %+9.1f %%", m.name, ms(m.p(0, 50)), ms(m.p(0, 90)), ms(m.p(1, 50)), ms(m.p(1, 90)),
                    100.0 * (m.p(0, 50) - m.p(1, 50)) / m.p(1, 50));
        }
        report("identity / none at p50: POST -> ready %+.1f %%, new tab (raw CDP) %+.1f %%, new tab (Playwright) %+.1f %%, POST -> first answer %+.1f %%, "
                        + "back-to-back raw %+.1f %%, Playwright %+.1f %%",
                pct(ready), pct(tab), pct(pwTab), pct(first), pct(burst), pct(pwBurst));
        Files.writeString(Path.of("target", "bench-identity.txt"), out.toString());
    }

    private static double pct(Measure m) {
        return 100.0 * (m.p(0, 50) - m.p(1, 50)) / m.p(1, 50);
    }

    private static void session(BrowserFixture fx, com.microsoft.playwright.Playwright pw, int mode, int tabs, int gap, Measure ready, Measure first,
                                Measure tab, Measure create, Measure attach, Measure eval, Measure pwTab, Measure burst, Measure pwBurst)
            throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        long t0 = System.nanoTime();
        JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
        String id = c.get("session_id").asText();
        while (!"ready".equals(BrowserFixture.json(fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null)).path("status").asText())) {
            if (System.nanoTime() - t0 > 30_000_000_000L) {
                throw new IllegalStateException("not ready");
            }
            Thread.sleep(2);
        }
        ready.add(mode, System.nanoTime() - t0);
        String url = "ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id;
        try (CdpClient cdp = CdpClient.open(url, c.get("connect_token").asText())) {
            // What a client waits for after ready: connected, the first tab found, attached, its first answer.
            String firstTab = null;
            for (JsonNode ti : M.readTree(cdp.call("{\"id\":1,\"method\":\"Target.getTargets\"}")).path("result").path("targetInfos")) {
                if ("page".equals(ti.path("type").asText())) {
                    firstTab = ti.path("targetId").asText();
                }
            }
            String s0 = M.readTree(cdp.call("{\"id\":2,\"method\":\"Target.attachToTarget\",\"params\":{\"targetId\":\""
                    + firstTab + "\",\"flatten\":true}}")).path("result").path("sessionId").asText();
            cdp.call("{\"id\":3,\"sessionId\":\"" + s0 + "\",\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"navigator.hardwareConcurrency\"}}");
            first.add(mode, System.nanoTime() - t0);
            int n = 4;
            for (int i = 0; i < 2 * tabs; i++) {
                boolean spaced = i < tabs;
                if (spaced) {
                    Thread.sleep(gap); // a tab opened while the session is in use, not in a tight loop
                }
                long s = System.nanoTime();
                String target = M.readTree(cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}"))
                        .path("result").path("targetId").asText();
                long s1 = System.nanoTime();
                String session = M.readTree(cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.attachToTarget\",\"params\":{\"targetId\":\""
                        + target + "\",\"flatten\":true}}")).path("result").path("sessionId").asText();
                long s2 = System.nanoTime();
                cdp.call("{\"id\":" + n++ + ",\"sessionId\":\"" + session + "\",\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"navigator.hardwareConcurrency\"}}");
                long s3 = System.nanoTime();
                if (spaced) {
                    tab.add(mode, s3 - s);
                    create.add(mode, s1 - s);
                    attach.add(mode, s2 - s1);
                    eval.add(mode, s3 - s2);
                } else {
                    burst.add(mode, s3 - s);
                }
                cdp.call("{\"id\":" + n++ + ",\"method\":\"Target.closeTarget\",\"params\":{\"targetId\":\"" + target + "\"}}");
            }
        }
        // The same through Playwright for Java (how most customers open tabs): context.newPage() until it returns.
        com.microsoft.playwright.Browser b = pw.chromium().connectOverCDP(url,
                new com.microsoft.playwright.BrowserType.ConnectOverCDPOptions().setHeaders(java.util.Map.of("Authorization", "Bearer " + c.get("connect_token").asText())));
        try {
            com.microsoft.playwright.BrowserContext ctx = b.contexts().get(0);
            for (int i = 0; i < 2 * tabs; i++) {
                boolean spaced = i < tabs;
                if (spaced) {
                    Thread.sleep(gap);
                }
                long s = System.nanoTime();
                com.microsoft.playwright.Page page = ctx.newPage();
                (spaced ? pwTab : pwBurst).add(mode, System.nanoTime() - s);
                page.close();
            }
        } finally {
            b.close();
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
