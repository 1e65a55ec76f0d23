package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.protocol.identity.CatalogueDevice;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.aimlib.testing.DeviceOnlyNames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session's identity as a page sees it, through the production path (relay, bridge, device) with real Chromium
 * and Playwright: the window, a cross-origin iframe, a popup, and dedicated, shared and service workers all report
 * the resolved profile, and the headers the origin receives agree. Also BotD, fpscanner, WebRTC and DNS leaks.
 * The same pages are then read through a raw CDP client on the relay (no Playwright), and must report the same.
 * Chromium is slow on the shared machine (CI has 2 cores), so this is one combined test per device, and the devices
 * of the bundled catalogue are sampled: two per run, one Pixel and one of another maker, each rotating with the day of
 * the year over its part of the catalogue.
 */
class IdentityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * What fpscanner 1.0.2 may still flag, each for a reason docs/identity.md gives: {@code hasCDP} is Playwright's
     * own {@code Runtime.enable} (the client's choice; the raw CDP client below does not enable it).
     */
    private static final List<String> FPSCANNER_UNFIXABLE = List.of("hasCDP");
    private static final String ALL_REPORTED =
            "['main','mainWindow','dedicated','shared','service','frame','frameWindow','pageFetch'].every(k => results[k])";
    static BrowserFixture fx;
    static HttpServer origin;
    static final Map<String, Map<String, String>> headers = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(2);
        origin = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 50);
        origin.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            Map<String, String> h = new ConcurrentHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), v.getFirst()));
            headers.put(ex.getRequestHeaders().getFirst("Host") + path + (ex.getRequestURI().getQuery() == null ? "" : "?" + ex.getRequestURI().getQuery()), h);
            String res = path.startsWith("/detect/") ? path : path.startsWith("/identity/") ? path : "/identity/main.html";
            InputStream in = IdentityTest.class.getResourceAsStream(res);
            if (in == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = in.readAllBytes();
            ex.getResponseHeaders().set("Content-Type", res.endsWith(".js") ? "text/javascript" : "text/html");
            // The service worker controls the page at "/" (else navigator.serviceWorker.ready never resolves there).
            ex.getResponseHeaders().set("Service-Worker-Allowed", "/");
            // Asking for the high-entropy hints, as a site does: later requests carry them.
            ex.getResponseHeaders().set("Accept-CH", "Sec-CH-UA-Model, Sec-CH-UA-Platform-Version, Sec-CH-UA-Full-Version-List, Sec-CH-UA-Form-Factors");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.start();
    }

    @AfterAll
    static void stop() {
        if (origin != null) {
            origin.stop(0);
        }
        fx.close();
    }

    /** Two devices per run from the bundled catalogue: a Pixel and one of another maker, each rotating daily. */
    static List<String> sample() {
        int day = LocalDate.now().getDayOfYear();
        List<CatalogueDevice> all = DeviceCatalogue.bundled().devices();
        List<String> pixels = all.stream().filter(d -> "google".equalsIgnoreCase(d.brand())).map(CatalogueDevice::name).toList();
        List<String> others = all.stream().filter(d -> !"google".equalsIgnoreCase(d.brand())).map(CatalogueDevice::name).toList();
        return List.of(pixels.get(day % pixels.size()), others.get(day % others.size()));
    }

    @Test
    void everyContextOfSampledDevicesReportsTheResolvedProfileAndNothingLeaks() throws Exception {
        for (String device : sample()) {
            checkDevice(device);
        }
    }

    /**
     * The same checks on a pool hit (issue 13): a host with the demand-sized pool learns each sampled device's launch
     * setting (flags, time zone, fonts) from one create, warms a browser for it, and the next create of that device
     * takes it; the identity is applied at the claim, before ready, exactly as on a cold start.
     */
    @Test
    void sampledDevicesServedFromTheWarmPoolReportTheResolvedProfileToo() throws Exception {
        fx.host.close();
        fx.host = BrowserHost.start(fx.hostSettings(2), WarmPoolSettings.demand(1, 3, 8L << 30), fx.gateway.sessions());
        try {
            for (String device : sample()) {
                BrowserFixture.Tenant teach = fx.tenant();
                fx.ready(teach, profileBody(device));
                JsonNode profile = fx.awaitStatus(teach, "ready", java.time.Duration.ofSeconds(5)).path("resolved_profile");
                fx.call("DELETE", "/v1/devices/" + teach.device() + "/browser", teach.key(), null);
                fx.awaitStatus(teach, "404", java.time.Duration.ofSeconds(30));
                long end = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
                while (fx.host.warmFor((com.fasterxml.jackson.databind.node.ObjectNode) profile) < 1 && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertThat(fx.host.warmFor((com.fasterxml.jackson.databind.node.ObjectNode) profile)).as(device + " warm browsers").isPositive();
                checkDevice(device, true);
            }
        } finally {
            fx.host.close();
            fx.host = BrowserHost.start(fx.hostSettings(2), fx.gateway.sessions());
        }
    }

    private static String profileBody(String device) {
        return "{\"profile\":{\"device\":\"" + device + "\",\"timezone\":\"Europe/Berlin\",\"locale\":\"de-DE\"}}";
    }

    /**
     * BotD (main frame and cross-origin iframe) and fpscanner on every device of the catalogue, each in its own
     * session (a cold browser with that device's launch settings), in a fresh Playwright tab.
     */
    @Test
    void botdAndFpscannerPassForEveryCatalogueDevice() throws Exception {
        String base = "http://127.0.0.1:" + origin.getAddress().getPort();
        List<String> failures = new java.util.ArrayList<>();
        try (Playwright pw = Playwright.create()) {
            for (CatalogueDevice device : DeviceCatalogue.bundled().devices()) {
                BrowserFixture.Tenant t = fx.tenant();
                // The fixture's devices have the default region "local" (UTC by design, docs/identity.md); a phone has its own zone.
                BrowserFixture.Live s = fx.ready(t, "{\"profile\":{\"device\":\"" + device.name() + "\",\"timezone\":\"America/Chicago\"}}");
                try (Browser browser = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(),
                        new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())))) {
                    Page detect = browser.contexts().getFirst().newPage();
                    detect.navigate(base + "/identity/botd.html");
                    detect.waitForFunction("() => detect.botd && detect.botdFrame && detect.fpscanner", null,
                            new Page.WaitForFunctionOptions().setTimeout(60_000));
                    JsonNode d = JSON.readTree((String) detect.evaluate("() => JSON.stringify(detect)"));
                    System.out.println("detection device=" + device.name() + " botd=" + d.path("botd") + " botdFrame=" + d.path("botdFrame")
                            + " fpscanner=" + d.path("fpscanner"));
                    List<String> flagged = new java.util.ArrayList<>(List.of(JSON.convertValue(d.path("fpscanner"), String[].class)));
                    flagged.removeAll(FPSCANNER_UNFIXABLE);
                    if (d.path("botd").path("bot").asBoolean(true) || d.path("botdFrame").path("bot").asBoolean(true) || !flagged.isEmpty()) {
                        failures.add(device.name() + ": botd=" + d.path("botd") + " botdFrame=" + d.path("botdFrame") + " fpscanner=" + flagged);
                    }
                }
                fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
                fx.awaitStatus(t, "404", java.time.Duration.ofSeconds(30));
            }
        }
        assertThat(failures).as("devices a detection suite flags").isEmpty();
    }

    private void checkDevice(String device) throws Exception {
        checkDevice(device, false);
    }

    /** With {@code poolHit}: the session must have taken a warm browser (its start breakdown in the operator view says so). */
    private void checkDevice(String device, boolean poolHit) throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, profileBody(device));
        if (poolHit) {
            JsonNode start = null;
            long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            while ((start == null || start.isMissingNode() || start.isNull()) && System.nanoTime() < end) {
                start = BrowserFixture.json(fx.call("GET", "/admin/v1/sessions/" + s.id(), fx.operatorKey, null)).path("start");
                Thread.sleep(20);
            }
            assertThat(start.path("pool_hit").asBoolean()).as(device + " pool hit " + start).isTrue();
        }
        JsonNode profile = fx.awaitStatus(t, "ready", java.time.Duration.ofSeconds(5)).path("resolved_profile");
        assertThat(profile.path("device").asText()).isEqualTo(device);
        int port = origin.getAddress().getPort();
        String base = "http://127.0.0.1:" + port;
        try (Playwright pw = Playwright.create();
             Browser browser = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(),
                     new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())));
             DatagramSocket stun = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            // The first document of fresh tabs already has the identity, headers and script: the relay applies it on
            // Playwright's own session as its new page attaches (ClientIdentity), before Playwright resumes it.
            for (int i = 0; i < 3; i++) {
                Page fresh = browser.contexts().getFirst().newPage();
                fresh.navigate(base + "/identity/frame.html?first" + i);
                Map<String, String> h = headers.get("127.0.0.1:" + port + "/identity/frame.html?first" + i);
                String what = device + " first document of new tab " + i;
                assertThat(h.get("sec-ch-ua-mobile")).as(what).isEqualTo("?1");
                assertThat(h.get("sec-ch-ua-platform")).as(what).isEqualTo("\"Android\"");
                assertThat(h.get("user-agent")).as(what).isEqualTo(profile.path("user_agent").asText());
                JsonNode js = JSON.readTree((String) fresh.evaluate("() => JSON.stringify([navigator.userAgentData.mobile, "
                        + "navigator.platform, navigator.deviceMemory, screen.width, navigator.hardwareConcurrency, navigator.maxTouchPoints])"));
                ((com.fasterxml.jackson.databind.node.ArrayNode) js).set(2, JSON.getNodeFactory().numberNode(js.get(2).asDouble()));
                assertThat(js).as(what).isEqualTo(JSON.createArrayNode().add(true).add(IdentityParams.NAVIGATOR_PLATFORM)
                        .add(profile.path("device_memory").asDouble()).add(profile.path("css_screen").path(0).asInt())
                        .add(profile.path("cores").asInt()).add(profile.path("touch_points").asInt()));
                if (i > 0) {
                    fresh.close();
                }
            }
            Page page = browser.contexts().getFirst().pages().getLast();
            // Fonts: the phone's (Roboto as sans-serif, Noto), none of the desktop's (HostFonts' fontconfig file).
            JsonNode fonts = JSON.readTree((String) page.evaluate("""
                    () => { const c = document.createElement('canvas').getContext('2d'); const t = 'mmmmmmmmmmlli1WQ@#';
                      const w = f => { c.font = '72px ' + f; return c.measureText(t).width; };
                      const has = f => ['monospace', 'serif', 'sans-serif'].some(b => w('"' + f + '", ' + b) !== w(b));
                      return JSON.stringify({ Roboto: has('Roboto'), 'Noto Sans': has('Noto Sans'), 'Noto Serif': has('Noto Serif'),
                        'DejaVu Sans': has('DejaVu Sans'), 'Liberation Sans': has('Liberation Sans'), Arial: has('Arial'),
                        'Times New Roman': has('Times New Roman'), 'Courier New': has('Courier New'), Ubuntu: has('Ubuntu'),
                        sansSerifIsRoboto: w('sans-serif') === w('Roboto') }); }"""));
            assertThat(fonts.toString()).as(device + " fonts").isEqualTo("{\"Roboto\":true,\"Noto Sans\":true,\"Noto Serif\":true,"
                    + "\"DejaVu Sans\":false,\"Liberation Sans\":false,\"Arial\":false,\"Times New Roman\":false,\"Courier New\":false,"
                    + "\"Ubuntu\":false,\"sansSerifIsRoboto\":true}");
            page.navigate(base + "/");
            try {
                page.waitForFunction("() => " + ALL_REPORTED,
                        null, new Page.WaitForFunctionOptions().setTimeout(30_000));
            } catch (com.microsoft.playwright.TimeoutError e) {
                throw new AssertionError("not every context reported: " + page.evaluate("() => JSON.stringify(results)") + " sw="
                        + page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => JSON.stringify(r && [r.installing && r.installing.state, r.waiting && r.waiting.state, r.active && r.active.state, !!navigator.serviceWorker.controller]))"), e);
            }
            JsonNode r = JSON.readTree((String) page.evaluate("() => JSON.stringify(results)"));
            Page popup = page.waitForPopup(() -> page.evaluate("() => window.open('http://127.0.0.3:" + port + "/identity/frame.html')"));
            popup.waitForFunction("() => window.results && results.main", null, new Page.WaitForFunctionOptions().setTimeout(30_000));
            JsonNode pr = JSON.readTree((String) popup.evaluate("() => JSON.stringify(results)"));
            popup.close(); // the relay enforces max_tabs (5, popups count): the tabs below need its slot

            JsonNode expected = expected(profile);
            JsonNode inWorkers = workers(expected);
            JsonNode win = expectedWindow(profile);
            SoftAssertions soft = new SoftAssertions();
            checkContexts(soft, device + " playwright", r, expected, inWorkers, win);
            soft.assertThat(pr.path("main")).as(device + " popup").isEqualTo(expected);
            soft.assertThat(pr.path("mainWindow")).as(device + " popup window").isEqualTo(win);

            // The headers of the document and of a page-only request after Accept-CH (workers importScripts signals.js).
            Map<String, String> doc = headers.get("127.0.0.1:" + port + "/");
            Map<String, String> later = headers.get("127.0.0.1:" + port + "/identity/page-only.txt");
            for (Map<String, String> h : List.of(doc, later)) {
                String what = device + " headers " + (h == doc ? "document" : "page fetch");
                soft.assertThat(h.get("user-agent")).as(what).isEqualTo(profile.path("user_agent").asText());
                soft.assertThat(h.get("sec-ch-ua-mobile")).as(what).isEqualTo("?1");
                soft.assertThat(h.get("sec-ch-ua-platform")).as(what).isEqualTo("\"Android\"");
                soft.assertThat(h.get("sec-ch-ua")).as(what).isEqualTo(secChUa(profile.path("ua_ch").path("brands")));
                soft.assertThat(h.get("accept-language")).as(what).isEqualTo("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7");
            }
            // Worker script fetches: Chromium 156 itself sends no client hints on them (stock, without any flag or
            // override, for all three worker types; docs/identity.md), so neither do we; UA and language are ours.
            for (String script : List.of("/identity/worker.js", "/identity/worker.js?shared", "/identity/worker.js?service")) {
                Map<String, String> h = headers.get("127.0.0.1:" + port + script);
                soft.assertThat(h.get("user-agent")).as(device + " " + script).isEqualTo(profile.path("user_agent").asText());
                soft.assertThat(h.get("accept-language")).as(device + " " + script).isEqualTo("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7");
                soft.assertThat(h.keySet()).as(device + " " + script).noneMatch(k -> k.startsWith("sec-ch-ua"));
            }
            // High-entropy hints: none before the origin asked with Accept-CH, then on every request, documents included.
            soft.assertThat(headers.get("127.0.0.1:" + port + "/identity/frame.html?first0").get("sec-ch-ua-model")).isNull();
            soft.assertThat(doc.get("sec-ch-ua-model")).isEqualTo("\"" + profile.path("model").asText() + "\"");
            soft.assertThat(later.get("sec-ch-ua-model")).isEqualTo("\"" + profile.path("model").asText() + "\"");
            soft.assertThat(later.get("sec-ch-ua-platform-version")).isEqualTo("\"" + profile.path("ua_ch").path("platform_version").asText() + "\"");
            soft.assertThat(later.get("sec-ch-ua-full-version-list")).isEqualTo(secChUa(profile.path("ua_ch").path("full_version_list")));

            // Detection suites (vendored, served by the origin), main frame and cross-origin iframe.
            Page detect = browser.contexts().getFirst().newPage();
            detect.navigate(base + "/identity/botd.html");
            detect.waitForFunction("() => detect.botd && detect.botdFrame && detect.fpscanner", null,
                    new Page.WaitForFunctionOptions().setTimeout(60_000));
            JsonNode d = JSON.readTree((String) detect.evaluate("() => JSON.stringify(detect)"));
            detect.close(); // max_tabs (5) counts every open tab
            System.out.println("identity device=" + device + " botd=" + d.path("botd") + " botdFrame=" + d.path("botdFrame")
                    + " fpscanner=" + d.path("fpscanner"));
            soft.assertThat(d.path("botd").path("bot").asBoolean(true)).as("BotD main " + d.path("botd")).isFalse();
            soft.assertThat(d.path("botdFrame").path("bot").asBoolean(true)).as("BotD iframe " + d.path("botdFrame")).isFalse();
            soft.assertThat(JSON.convertValue(d.path("fpscanner"), String[].class)).as("fpscanner " + d.path("fpscanner"))
                    .isSubsetOf(FPSCANNER_UNFIXABLE);

            // WebRTC: no candidate and no UDP that bypasses the device.
            Page rtc = browser.contexts().getFirst().newPage();
            rtc.navigate(base + "/identity/webrtc.html?stun=" + stun.getLocalPort());
            rtc.waitForFunction("() => window.ice !== null", null, new Page.WaitForFunctionOptions().setTimeout(20_000));
            assertThat(JSON.readTree((String) rtc.evaluate("() => JSON.stringify(ice)"))).as("ICE candidates").isEmpty();
            stun.setSoTimeout(500);
            boolean udp;
            try {
                stun.receive(new DatagramPacket(new byte[2048], 2048));
                udp = true;
            } catch (SocketTimeoutException e) {
                udp = false;
            }
            assertThat(udp).as("UDP reached the local STUN server").isFalse();
            rtc.close();

            // DNS: a name only the device side resolves loads; Chromium asked the bridge for the name, not an address.
            assertThat(new ProcessBuilder("getent", "hosts", DeviceOnlyNames.NAME).start().waitFor()).as("the host resolves it").isNotZero();
            Page dns = browser.contexts().getFirst().newPage();
            // (Not a secure context: userAgentData and storage are absent there, so only the load itself is checked.)
            assertThat(dns.navigate("http://" + DeviceOnlyNames.NAME + ":" + port + "/identity/frame.html").status()).isEqualTo(200);
            assertThat(headers).containsKey(DeviceOnlyNames.NAME + ":" + port + "/identity/frame.html");
            // Closing the client leaves its tabs open; the raw client's tab below needs a slot under max_tabs (5).
            dns.close();
            browser.close();

            // The same pages driven by a raw CDP client through the relay: targets it creates get the identity too.
            try (CdpClient cdp = CdpClient.open("ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(), s.token())) {
                checkContexts(soft, device + " raw cdp", rawCdpResults(cdp, base + "/"), expected, inWorkers, win);
            }
            soft.assertAll();
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
            fx.awaitStatus(t, "404", java.time.Duration.ofSeconds(30));
        }
    }

    /** The window, the cross-origin iframe and the three worker types of one load of main.html. */
    private static void checkContexts(SoftAssertions soft, String what, JsonNode r, JsonNode expected, JsonNode inWorkers, JsonNode win) {
        for (String scope : List.of("main", "frame")) {
            soft.assertThat(r.path(scope)).as(what + " " + scope).isEqualTo(expected);
        }
        for (String scope : List.of("dedicated", "shared", "service")) {
            soft.assertThat(r.path(scope)).as(what + " " + scope).isEqualTo(inWorkers);
        }
        soft.assertThat(r.path("mainWindow")).as(what + " window").isEqualTo(win);
        soft.assertThat(r.path("frameWindow")).as(what + " cross-origin iframe window").isEqualTo(win);
    }

    /** Opens {@code url} in a new tab with raw CDP (no Runtime.enable) and returns what main.html collected. */
    private static JsonNode rawCdpResults(CdpClient cdp, String url) throws Exception {
        // about:blank first, then navigate, as Playwright and Puppeteer do: Target.createTarget{url} starts the request
        // before the host's attach (docs/identity.md, Known gaps).
        String target = JSON.readTree(cdp.call(JSON.createObjectNode().put("id", 1).put("method", "Target.createTarget")
                .set("params", JSON.createObjectNode().put("url", "about:blank")).toString())).path("result").path("targetId").asText();
        String session = JSON.readTree(cdp.call(JSON.createObjectNode().put("id", 2).put("method", "Target.attachToTarget")
                .set("params", JSON.createObjectNode().put("targetId", target).put("flatten", true)).toString()))
                .path("result").path("sessionId").asText();
        cdp.call(JSON.createObjectNode().put("id", 3).put("sessionId", session).put("method", "Page.navigate")
                .set("params", JSON.createObjectNode().put("url", url)).toString());
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        for (int id = 4; ; id++) {
            var call = JSON.createObjectNode().put("id", id).put("sessionId", session).put("method", "Runtime.evaluate");
            call.set("params", JSON.createObjectNode().put("returnByValue", true)
                    .put("expression", "window.results && " + ALL_REPORTED + " ? JSON.stringify(results) : ''"));
            String v = JSON.readTree(cdp.call(call.toString())).path("result").path("result").path("value").asText("");
            if (!v.isEmpty()) {
                return JSON.readTree(v);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("raw CDP: not every context reported");
            }
            Thread.sleep(100);
        }
    }

    /** WorkerNavigator has no webdriver attribute, in real Chrome as here. */
    private static JsonNode workers(JsonNode expected) {
        return ((com.fasterxml.jackson.databind.node.ObjectNode) expected.deepCopy()).without("webdriver");
    }

    /** What navigator & co. must say in every context, derived from the resolved profile alone. */
    private static JsonNode expected(JsonNode p) throws Exception {
        var o = JSON.createObjectNode();
        o.put("userAgent", p.path("user_agent").asText());
        o.put("platform", IdentityParams.NAVIGATOR_PLATFORM);
        o.put("cores", p.path("cores").asInt());
        o.put("deviceMemory", p.path("device_memory").asInt());
        o.put("languages", String.join(",", JSON.convertValue(p.path("languages"), String[].class)));
        o.put("intlLocale", p.path("locale").asText());
        o.put("timezone", p.path("timezone").asText());
        o.put("webdriver", false);
        JsonNode ch = p.path("ua_ch");
        var ua = JSON.createObjectNode();
        ua.set("brands", ch.path("brands"));
        ua.put("mobile", true);
        ua.put("platform", "Android");
        ua.put("model", ch.path("model").asText());
        ua.put("platformVersion", ch.path("platform_version").asText());
        ua.set("fullVersionList", ch.path("full_version_list"));
        ua.put("uaFullVersion", ch.path("full_version").asText());
        ua.set("formFactors", ch.path("form_factors"));
        ua.put("architecture", "");
        ua.put("bitness", "");
        ua.put("wow64", false);
        o.put("uaData", ua.toString());
        o.put("connection", "cellular");
        JsonNode gl = p.path("webgl");
        o.put("webgl", gl.path("vendor").asText() + " / " + gl.path("renderer").asText() + " / " + gl.path("max_texture_size").asInt());
        var limits = JSON.createArrayNode();
        for (String k : List.of("max_texture_size", "max_cube_map_texture_size", "max_renderbuffer_size", "max_viewport_dims",
                "max_vertex_attribs", "max_vertex_uniform_vectors", "max_fragment_uniform_vectors", "max_varying_vectors",
                "max_texture_image_units", "max_vertex_texture_image_units", "max_combined_texture_image_units",
                "aliased_line_width_range", "aliased_point_size_range")) {
            JsonNode x = gl.path(k);
            if (x.isArray()) {
                var typed = limits.addArray().add(k.startsWith("aliased") ? "Float32Array" : "Int32Array");
                x.forEach(typed::add);
            } else {
                limits.add(x);
            }
        }
        o.put("webglLimits", limits.toString());
        o.put("quota", p.path("storage_quota").asLong());
        o.put("getterSource", "function get deviceMemory() { [native code] } function toString() { [native code] }");
        return o;
    }

    private static JsonNode expectedWindow(JsonNode p) {
        var o = JSON.createObjectNode();
        o.put("screen", p.path("css_screen").path(0).asInt() + "x" + p.path("css_screen").path(1).asInt());
        o.put("dpr", java.math.BigDecimal.valueOf(p.path("dpr").asDouble()).stripTrailingZeros().toPlainString());
        o.put("orientation", "portrait-primary");
        o.put("windowOrientation", 0);
        o.put("androidOnly", "true,true");
        o.put("touchPoints", p.path("touch_points").asInt());
        o.put("pointerCoarse", true);
        o.put("hoverNone", true);
        o.put("plugins", "0/0");
        o.put("pdfViewer", false);
        o.put("sampleRate", p.path("audio_sample_rate").asInt());
        o.put("battery", p.path("battery").path("level").asDouble() + "/" + p.path("battery").path("charging").asBoolean());
        JsonNode gl = p.path("webgl");
        o.put("webglWindow", gl.path("vendor").asText() + " / " + gl.path("renderer").asText());
        return o;
    }

    private static String secChUa(JsonNode brands) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode b : brands) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append('"').append(b.path("brand").asText()).append("\";v=\"").append(b.path("version").asText()).append('"');
        }
        return sb.toString();
    }
}
