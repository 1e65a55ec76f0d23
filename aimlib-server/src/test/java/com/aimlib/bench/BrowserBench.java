package com.aimlib.bench;

import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The browser-session benchmark ({@code bench/browser/run.sh}): POST → ready → connected, CDP round trip
 * and a ~20 MB screenshot through the relay against direct to Chromium, the device path (bridge → gateway
 * SOCKS5 front → tunnel → agent) against a direct fetch, RSS per idle session. Sessions egress through the
 * real chain ({@link BrowserFixture}: an in-process agent per device, bound to 127.0.0.2). All figures come
 * from one run on one machine; the direct paths are the baselines.
 */
@EnabledIfSystemProperty(named = "aimlib.bench", matches = "true")
class BrowserBench {
    static final ObjectMapper M = new ObjectMapper();
    final StringBuilder out = new StringBuilder();

    void report(String fmt, Object... args) {
        String line = String.format(fmt, args);
        System.out.println(line);
        out.append(line).append('\n');
    }

    @Test
    void run() throws Exception {
        int sessions = Integer.getInteger("aimlib.bench.sessions", 20);
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("com.aimlib.host.BrowserHost"))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        try (BrowserFixture fx = new BrowserFixture(8)) {
            report("# browser bench  %s  cores=%d  load average at start %s  chromium=/usr/bin/chromium", java.time.Instant.now(),
                    Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
            report("# egress: bridge -> gateway SOCKS5 front 127.0.0.1:%d -> HTTP/2 tunnel :%d -> in-process agent per device (bind %s) -> loopback origin",
                    fx.gateway.socksPort(), fx.gateway.tunnelPort(), BrowserFixture.EGRESS);
            startup(fx, sessions, false);
            fx.host.close();
            fx.host = com.aimlib.host.BrowserHost.start(fx.hostSettings(8).withWarmPool(2), fx.gateway.sessions());
            startup(fx, sessions, true);
            BrowserFixture.Tenant t = fx.tenant();
            JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            String id = c.get("session_id").asText();
            String token = c.get("connect_token").asText();
            fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            Map.Entry<Long, Path> browser = fx.host.browserOf(UUID.fromString(id)).orElseThrow();
            JsonNode list = BrowserFixture.json(fx.call("GET", "/cdp/" + id + "/json/list", token, null));
            String relayUrl = null;
            for (JsonNode n : list) {
                if ("page".equals(n.path("type").asText())) {
                    relayUrl = n.get("webSocketDebuggerUrl").asText();
                }
            }
            String target = relayUrl.substring(relayUrl.lastIndexOf('/') + 1);
            int port = Integer.parseInt(Files.readString(browser.getValue().resolve("DevToolsActivePort")).split("\n")[0].trim());
            String directUrl = "ws://127.0.0.1:" + port + "/devtools/page/" + target;
            roundTrip(relayUrl, directUrl, token);
            screenshot(relayUrl, directUrl, token);
            deviceChain(fx, t, relayUrl, token);
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
            memory(fx);
        }
        Path file = Path.of("target", "bench-browser.txt");
        Files.writeString(file, out.toString());
    }

    private void startup(BrowserFixture fx, int n, boolean warm) throws Exception {
        long[] ready = new long[n];
        long[] connected = new long[n];
        long[] boot = new long[n];
        for (int i = 0; i < n; i++) {
            BrowserFixture.Tenant t = fx.tenant();
            while (warm && fx.host.warmCount() < 2) {
                Thread.sleep(10);
            }
            long t0 = System.nanoTime();
            JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            String id = c.get("session_id").asText();
            while (true) {
                JsonNode g = BrowserFixture.json(fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null));
                if ("ready".equals(g.path("status").asText())) {
                    break;
                }
                if (System.nanoTime() - t0 > 30_000_000_000L) {
                    throw new IllegalStateException("not ready: " + g);
                }
                Thread.sleep(5);
            }
            ready[i] = System.nanoTime() - t0;
            CdpClient cdp = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + id, c.get("connect_token").asText());
            cdp.call("{\"id\":1,\"method\":\"Browser.getVersion\"}");
            connected[i] = System.nanoTime() - t0;
            cdp.close();
            Long b = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT (EXTRACT(EPOCH FROM ready_at - boot_started_at) * 1000)::bigint FROM browser_sessions WHERE id = :id")
                    .bind("id", UUID.fromString(id)).mapTo(Long.class).one());
            boot[i] = b * 1_000_000;
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
            Thread.sleep(300);
        }
        report("## POST -> ready -> connected over %d sessions (sequential, with the egress probe through bridge + front + tunnel + agent), %s", n,
                warm ? "WARM POOL of 2 (a pre-launched browser available at each POST; each used once)" : "COLD (a new Chromium per POST)");
        report("host boot (launch or adopt -> egress probed):      p50 %s  p99 %s", ms(p(boot, 50)), ms(p(boot, 99)));
        report("POST -> GET says ready:                            p50 %s  p99 %s", ms(p(ready, 50)), ms(p(ready, 99)));
        report("POST -> ready -> relay connected + first reply:    p50 %s  p99 %s", ms(p(connected, 50)), ms(p(connected, 99)));
    }

    private void roundTrip(String relay, String direct, String token) throws Exception {
        CdpClient r = CdpClient.open(relay, token);
        CdpClient d = CdpClient.open(direct, null);
        String msg = "{\"id\":%d,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"1+1\"}}";
        for (int i = 0; i < 500; i++) {
            r.call(String.format(msg, i));
            d.call(String.format(msg, i));
        }
        int n = 5000;
        long[] viaRelay = new long[n];
        long[] viaDirect = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            r.call(String.format(msg, i));
            viaRelay[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            d.call(String.format(msg, i));
            viaDirect[i] = System.nanoTime() - t0;
        }
        r.close();
        d.close();
        report("## CDP round trip, Runtime.evaluate(1+1), %d interleaved calls each", n);
        report("direct to Chromium: p50 %s  p99 %s", us(p(viaDirect, 50)), us(p(viaDirect, 99)));
        report("through the relay:  p50 %s  p99 %s", us(p(viaRelay, 50)), us(p(viaRelay, 99)));
        report("relay adds at p50:  %s", us(p(viaRelay, 50) - p(viaDirect, 50)));
    }

    private void screenshot(String relay, String direct, String token) throws Exception {
        CdpClient r = CdpClient.open(relay, token);
        CdpClient d = CdpClient.open(direct, null);
        // A page of random pixels, so the PNG does not compress: ~20 MB of image, ~27 MB of base64 in one CDP message.
        d.call("{\"id\":1,\"method\":\"Emulation.setDeviceMetricsOverride\",\"params\":{\"width\":2600,\"height\":2600,\"deviceScaleFactor\":1,\"mobile\":false}}");
        d.call("{\"id\":2,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"(() => { document.body.style.margin = 0; const c = document.createElement('canvas'); c.width = 2600; c.height = 2600; const x = c.getContext('2d'); const img = x.createImageData(2600, 2600); const a = new Uint32Array(img.data.buffer); for (let i = 0; i < a.length; i++) a[i] = (Math.random() * 4294967296) | 0xff000000; x.putImageData(img, 0, 0); document.body.appendChild(c); return a.length; })()\"}}");
        String shot = "{\"id\":%d,\"method\":\"Page.captureScreenshot\",\"params\":{\"format\":\"png\",\"captureBeyondViewport\":true}}";
        int size = d.call(String.format(shot, 3)).length();
        int n = 6;
        long[] viaRelay = new long[n];
        long[] viaDirect = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            int got = r.call(String.format(shot, 10 + i)).length();
            viaRelay[i] = System.nanoTime() - t0;
            if (got < size / 2) {
                throw new IllegalStateException("short screenshot via relay: " + got);
            }
            t0 = System.nanoTime();
            d.call(String.format(shot, 20 + i));
            viaDirect[i] = System.nanoTime() - t0;
        }
        r.close();
        d.close();
        double mb = size / 1e6;
        report("## full-page screenshot, one CDP message of %.1f MB (%.1f MB PNG), %d interleaved captures each", mb, mb * 3 / 4, n);
        report("direct to Chromium: median %s (%.0f MB/s)", ms(p(viaDirect, 50)), mb / (p(viaDirect, 50) / 1e9));
        report("through the relay:  median %s (%.0f MB/s)", ms(p(viaRelay, 50)), mb / (p(viaRelay, 50) / 1e9));
        report("relay throughput / direct: %.2f", (double) p(viaDirect, 50) / p(viaRelay, 50));
    }

    /**
     * The device path itself, all on loopback: a 1 MiB body and a tiny one fetched from inside the session's page
     * (Chromium → bridge → gateway SOCKS5 front → HTTP/2 tunnel → agent bound to 127.0.0.2 → origin), and the same
     * URLs with curl through the gateway's SOCKS5 front (front → tunnel → agent) and straight to the origin
     * (the baseline), interleaved. curl opens a new connection per call (SOCKS5 handshake and a new tunnel
     * stream included); the page keeps its connections alive.
     */
    private void deviceChain(BrowserFixture fx, BrowserFixture.Tenant t, String relay, String token) throws Exception {
        var proxy = fx.accounts.proxyForLease(t.lease()).orElseThrow();
        String socks = "socks5h://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + fx.gateway.socksPort();
        String big = fx.whoami.url("/big");
        String small = fx.whoami.url("/ip");
        CdpClient r = CdpClient.open(relay, token);
        r.call("{\"id\":1,\"method\":\"Page.navigate\",\"params\":{\"url\":\"" + fx.whoami.url("/page") + "\"}}");
        Thread.sleep(1000);
        int n = 20;
        long[] pageBig = inPage(r, big, n);
        long[] pageSmall = inPage(r, small, 50);
        r.close();
        long[] viaFrontBig = new long[n];
        long[] directBig = new long[n];
        long[] viaFrontSmall = new long[n];
        long[] directSmall = new long[n];
        for (int i = 0; i < n; i++) {
            viaFrontBig[i] = curl(big, socks);
            directBig[i] = curl(big, null);
            viaFrontSmall[i] = curl(small, socks);
            directSmall[i] = curl(small, null);
        }
        report("## the device path: GET of 1 MiB and of a 9-byte body, loopback origin, egress 127.0.0.2 (the agent's binding)");
        report("curl straight to the origin (baseline):           1 MiB p50 %s  9 B p50 %s", ms1(p(directBig, 50)), ms1(p(directSmall, 50)));
        report("curl -x socks5h gateway front -> tunnel -> agent: 1 MiB p50 %s  9 B p50 %s   (new connection each; %d calls, interleaved)",
                ms1(p(viaFrontBig, 50)), ms1(p(viaFrontSmall, 50)), n);
        report("page fetch() via bridge -> front -> tunnel -> agent: 1 MiB p50 %s (%.0f MB/s)  9 B p50 %s   (kept-alive; %d and 50 fetches)",
                ms1(p(pageBig, 50)), 1.048576 / (p(pageBig, 50) / 1e9), ms1(p(pageSmall, 50)), n);
        report("front+tunnel+agent / direct (curl, 1 MiB p50): %.2fx", (double) p(viaFrontBig, 50) / p(directBig, 50));
    }

    /** Times {@code n} sequential no-store fetches of {@code url} inside the page, in nanoseconds. */
    private static long[] inPage(CdpClient cdp, String url, int n) throws Exception {
        String js = "(async () => { const out = []; for (let i = 0; i < " + n + "; i++) { const t0 = performance.now();"
                + " const r = await fetch('" + url + "?' + i, {cache: 'no-store'}); const b = await r.arrayBuffer();"
                + " if (!r.ok || b.byteLength === 0) throw new Error('fetch ' + r.status); out.push(performance.now() - t0); }"
                + " return out.join(','); })()";
        String reply = cdp.call("{\"id\":2,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":" + M.writeValueAsString(js)
                + ",\"awaitPromise\":true,\"returnByValue\":true}}");
        String value = M.readTree(reply).path("result").path("result").path("value").asText("");
        if (value.isEmpty()) {
            throw new IllegalStateException("in-page fetch failed: " + reply);
        }
        return Arrays.stream(value.split(",")).mapToLong(v -> (long) (Double.parseDouble(v) * 1e6)).toArray();
    }

    /** One curl GET (through {@code socks} when given): curl's own time_total, so process start-up is not counted. */
    private static long curl(String url, String socks) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-f", "-o", "/dev/null", "-w", "%{time_total}"));
        if (socks != null) {
            cmd.addAll(List.of("-x", socks));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("curl " + url + " failed: " + out);
        }
        return (long) (Double.parseDouble(out) * 1e9);
    }

    static String ms1(long nanos) {
        return String.format("%.1f ms", nanos / 1e6);
    }

    private void memory(BrowserFixture fx) throws Exception {
        int n = 5;
        List<BrowserFixture.Tenant> ts = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BrowserFixture.Tenant t = fx.tenant();
            JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            ts.add(t);
            ids.add(UUID.fromString(c.get("session_id").asText()));
        }
        Thread.sleep(2000);
        long[] peakRss = new long[n];
        long[] peakPss = new long[n];
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < n; i++) {
                long pid = fx.host.browserOf(ids.get(i)).orElseThrow().getKey();
                peakRss[i] = Math.max(peakRss[i], tree(pid, "/status", "VmRSS:"));
                peakPss[i] = Math.max(peakPss[i], tree(pid, "/smaps_rollup", "Pss:"));
            }
            Thread.sleep(200);
        }
        report("## memory per idle session: the Chromium process tree (%d sessions at once, peak over 2 s)", n);
        report("PSS (shared pages split between sharers): median %.0f MiB  max %.0f MiB", p(peakPss, 50) / 1048576.0, p(peakPss, 100) / 1048576.0);
        report("RSS summed over the tree (shared pages counted per process, an upper bound): median %.0f MiB  max %.0f MiB",
                p(peakRss, 50) / 1048576.0, p(peakRss, 100) / 1048576.0);
        for (BrowserFixture.Tenant t : ts) {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    static long tree(long pid, String file, String field) {
        long total = kb(pid, file, field);
        for (ProcessHandle h : ProcessHandle.of(pid).map(p -> p.descendants().toList()).orElse(List.of())) {
            total += kb(h.pid(), file, field);
        }
        return total;
    }

    static long kb(long pid, String file, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + file))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    static long p(long[] v, int pct) {
        long[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(pct / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    static String ms(long nanos) {
        return String.format("%.0f ms", nanos / 1e6);
    }

    static String us(long nanos) {
        return String.format("%.0f µs", nanos / 1e3);
    }
}
