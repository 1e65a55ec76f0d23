package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.CdpClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Download;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, the browser path: through a live session's relay no host file, no other session's data and no way around
 * the device. Each refused attempt is tried against a real Chromium; positive controls show ordinary CDP and
 * Playwright still work.
 */
class BrowserPathGuardTest {
    static BrowserFixture fx;
    static BrowserFixture.Live a;
    static BrowserFixture.Live b;
    static Path serverKey;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(2);
        a = fx.ready(fx.tenant(), "{}");
        b = fx.ready(fx.tenant(), "{}");
        serverKey = Files.createTempDirectory("aimlib-data").resolve("server.key");
        Files.writeString(serverKey, "not-a-real-key-but-secret");
    }

    @AfterAll
    static void stop() throws Exception {
        fx.close();
        Files.deleteIfExists(serverKey);
        Files.deleteIfExists(serverKey.getParent());
    }

    private static String relay(BrowserFixture.Live s) {
        return "ws://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id();
    }

    /** A CDP connection to the session's first page target, through the relay. */
    private static CdpClient page(BrowserFixture.Live s) throws Exception {
        for (JsonNode t : BrowserFixture.json(fx.call("GET", "/cdp/" + s.id() + "/json/list", s.token(), null))) {
            if ("page".equals(t.path("type").asText())) {
                return CdpClient.open(t.get("webSocketDebuggerUrl").asText(), s.token());
            }
        }
        throw new AssertionError("no page target");
    }

    private static JsonNode call(CdpClient c, String msg) throws Exception {
        return Json.MAPPER.readTree(c.call(msg));
    }

    private static String eval(CdpClient c, String expression) throws Exception {
        return call(c, "{\"id\":900,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":" + Json.MAPPER.writeValueAsString(expression)
                + ",\"returnByValue\":true,\"awaitPromise\":true}}").at("/result/result/value").asText();
    }

    private static void assertRefused(JsonNode reply, int id) {
        assertThat(reply.get("id").asInt()).isEqualTo(id);
        assertThat(reply.at("/error/code").asInt()).as(reply.toString()).isEqualTo(-32000);
        assertThat(reply.at("/error/message").asText()).startsWith("aimlib: ");
    }

    private static Path userDataDir(BrowserFixture.Live s) {
        return fx.host.browserOf(s.id()).orElseThrow().getValue();
    }

    private void navigationIsRefused(String url) throws Exception {
        try (CdpClient p = page(b)) {
            String before = eval(p, "location.href");
            assertRefused(call(p, "{\"id\":7,\"method\":\"Page.navigate\",\"params\":{\"url\":" + Json.MAPPER.writeValueAsString(url) + "}}"), 7);
            Thread.sleep(200);
            assertThat(eval(p, "location.href")).isEqualTo(before);
        }
    }

    @Test
    void navigatingToAHostFileIsRefused() throws Exception {
        navigationIsRefused("file:///etc/passwd");
        navigationIsRefused(" FILE:///etc/passwd");
    }

    @Test
    void navigatingToTheServerKeyIsRefused() throws Exception {
        navigationIsRefused(serverKey.toUri().toString());
    }

    @Test
    void navigatingIntoAnotherSessionsUserDataDirIsRefused() throws Exception {
        navigationIsRefused(userDataDir(a).resolve("Default").resolve("Preferences").toUri().toString());
    }

    @Test
    void navigatingToChromePagesIsRefused() throws Exception {
        navigationIsRefused("chrome://version");
    }

    @Test
    void navigatingToDevtoolsIsRefused() throws Exception {
        navigationIsRefused("devtools://devtools/bundled/inspector.html");
    }

    @Test
    void viewSourceOfAHostFileIsRefused() throws Exception {
        navigationIsRefused("view-source:file:///etc/hostname");
    }

    @Test
    void aNewTargetOnAHostFileIsRefused() throws Exception {
        try (CdpClient br = CdpClient.open(relay(b), b.token())) {
            assertRefused(call(br, "{\"id\":3,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"file:///etc/passwd\"}}"), 3);
            JsonNode targets = call(br, "{\"id\":4,\"method\":\"Target.getTargets\"}");
            assertThat(targets.findValuesAsText("url")).noneMatch(u -> u.startsWith("file:"));
        }
    }

    private static int fileInput(CdpClient p) throws Exception {
        call(p, "{\"id\":1,\"method\":\"Page.navigate\",\"params\":{\"url\":\"data:text/html,<input type=file id=f multiple>\"}}");
        for (int i = 0; i < 100 && !"true".equals(eval(p, "!!document.getElementById('f')")); i++) {
            Thread.sleep(20);
        }
        int root = call(p, "{\"id\":2,\"method\":\"DOM.getDocument\"}").at("/result/root/nodeId").asInt();
        return call(p, "{\"id\":3,\"method\":\"DOM.querySelector\",\"params\":{\"nodeId\":" + root + ",\"selector\":\"#f\"}}")
                .at("/result/nodeId").asInt();
    }

    @Test
    void aFileInputWithAHostPathIsRefusedButTheSessionsOwnDownloadsAreAllowed() throws Exception {
        Path own = Files.writeString(userDataDir(b).resolve("downloads").resolve("mine.txt"), "mine");
        try (CdpClient p = page(b)) {
            int input = fileInput(p);
            assertRefused(call(p, "{\"id\":5,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"nodeId\":" + input
                    + ",\"files\":[\"/etc/passwd\"]}}"), 5);
            assertRefused(call(p, "{\"id\":6,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"nodeId\":" + input
                    + ",\"files\":[\"" + userDataDir(a).resolve("Default/Cookies") + "\"]}}"), 6);
            assertThat(eval(p, "document.getElementById('f').files.length")).isEqualTo("0");
            JsonNode ok = call(p, "{\"id\":8,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"nodeId\":" + input + ",\"files\":[\"" + own + "\"]}}");
            assertThat(ok.has("error")).as(ok.toString()).isFalse();
            assertThat(eval(p, "document.getElementById('f').files[0].name")).isEqualTo("mine.txt");
        }
    }

    @Test
    void droppingHostFilesIsRefused() throws Exception {
        try (CdpClient p = page(b)) {
            assertRefused(call(p, "{\"id\":9,\"method\":\"Input.dispatchDragEvent\",\"params\":{\"type\":\"drop\",\"x\":5,\"y\":5,"
                    + "\"data\":{\"items\":[],\"files\":[\"/etc/passwd\"],\"dragOperationsMask\":1}}}"), 9);
        }
    }

    @Test
    void aBrowserContextWithItsOwnProxyIsRefused() throws Exception {
        try (CdpClient br = CdpClient.open(relay(b), b.token())) {
            assertRefused(call(br, "{\"id\":10,\"method\":\"Target.createBrowserContext\",\"params\":{\"proxyServer\":\"direct://\"}}"), 10);
            JsonNode plain = call(br, "{\"id\":11,\"method\":\"Target.createBrowserContext\",\"params\":{\"disposeOnDetach\":true}}");
            assertThat(plain.at("/result/browserContextId").asText()).isNotEmpty();
            call(br, "{\"id\":12,\"method\":\"Target.disposeBrowserContext\",\"params\":{\"browserContextId\":\""
                    + plain.at("/result/browserContextId").asText() + "\"}}");
        }
    }

    @Test
    void remoteLocationsAreRefused() throws Exception {
        try (CdpClient br = CdpClient.open(relay(b), b.token())) {
            assertRefused(call(br, "{\"id\":13,\"method\":\"Target.setRemoteLocations\",\"params\":{\"locations\":[{\"host\":\"127.0.0.1\","
                    + "\"port\":" + fx.gateway.httpPort() + "}]}}"), 13);
        }
    }

    @Test
    void loadingAnUnpackedExtensionIsRefused() throws Exception {
        try (CdpClient br = CdpClient.open(relay(b), b.token())) {
            assertRefused(call(br, "{\"id\":14,\"method\":\"Extensions.loadUnpacked\",\"params\":{\"path\":\"" + userDataDir(a) + "\"}}"), 14);
        }
    }

    @Test
    void aPageCannotNavigateItselfToAHostFileEither() throws Exception {
        try (CdpClient p = page(b)) {
            String before = eval(p, "location.href");
            eval(p, "location.href = 'file:///etc/passwd'; 'set'");
            Thread.sleep(500);
            assertThat(eval(p, "location.href")).isEqualTo(before);
        }
    }

    @Test
    void aFiftyMegabyteCallStillPassesTheGuard() throws Exception {
        try (Playwright pw = Playwright.create()) {
            Browser br = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + b.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + b.token())));
            Page p = br.contexts().get(0).newPage();
            String s = "x".repeat(50 * 1024 * 1024);
            assertThat(p.evaluate("s => s.length", s)).isEqualTo(s.length());
            p.close();
            br.close();
        }
    }

    @Test
    void ordinaryNavigationStillWorks() throws Exception {
        try (CdpClient p = page(b)) {
            JsonNode r = call(p, "{\"id\":15,\"method\":\"Page.navigate\",\"params\":{\"url\":\"" + fx.whoami.url("/plain") + "\"}}");
            assertThat(r.has("error")).as(r.toString()).isFalse();
            for (int i = 0; i < 200 && !BrowserFixture.EGRESS.equals(eval(p, "document.body ? document.body.innerText.trim() : ''")); i++) {
                Thread.sleep(20);
            }
            assertThat(eval(p, "document.body.innerText.trim()")).isEqualTo(BrowserFixture.EGRESS);
        }
    }

    @Test
    void playwrightConnectsAndItsDownloadsLandInTheSessionsOwnDirectory() throws Exception {
        String marker = UUID.randomUUID().toString();
        Path downloads = userDataDir(a).resolve("downloads");
        try (Playwright pw = Playwright.create()) {
            Browser br = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + a.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + a.token())));
            Page p = br.contexts().get(0).newPage();
            p.navigate(fx.whoami.url("/pw"));
            assertThat(p.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
            p.setContent("<a id=d href='" + fx.whoami.url("/download?" + marker) + "'>get</a>");
            Download d = p.waitForDownload(() -> p.click("#d"));
            assertThat(d.url()).contains(marker);
            Path landed = null;
            for (int i = 0; i < 250 && landed == null; i++) {
                landed = withText(downloads, "download " + marker);
                Thread.sleep(20);
            }
            assertThat(landed).as("the download in %s", downloads).isNotNull();
            p.close();
            br.close();
        }
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            List<Path> artifacts = tmp.filter(x -> x.getFileName().toString().startsWith("playwright-artifacts")).toList();
            for (Path dir : artifacts) {
                assertThat(withText(dir, "download " + marker)).as("not in Playwright's own temp dir").isNull();
            }
        }
    }

    private static Path withText(Path dir, String text) throws Exception {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                try {
                    if (Files.size(f) < 4096 && Files.readString(f, StandardCharsets.UTF_8).equals(text)) {
                        return f;
                    }
                } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
                    // a download in progress or a binary artifact of another test
                }
            }
        }
        return null;
    }

    @Test
    void webRtcSendsNoUdpAroundTheProxy() throws Exception {
        try (DatagramSocket stun = new DatagramSocket(0, InetAddress.getByName("127.0.0.1")); CdpClient p = page(b)) {
            stun.setSoTimeout(3000);
            eval(p, "(async () => { const pc = new RTCPeerConnection({iceServers: [{urls: 'stun:127.0.0.1:" + stun.getLocalPort() + "'}]});"
                    + " pc.createDataChannel('x'); await pc.setLocalDescription(await pc.createOffer()); window.pc = pc; return 'ok'; })()");
            DatagramPacket got = new DatagramPacket(new byte[1500], 1500);
            boolean received;
            try {
                stun.receive(got);
                received = true;
            } catch (SocketTimeoutException e) {
                received = false;
            }
            assertThat(received).as("a STUN packet reached the loopback server").isFalse();
        }
    }

    @Test
    void anotherSessionsDevToolsAndBridgeAreReachedOnlyThroughThisSessionsOwnBridge() throws Exception {
        int devtools = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT cdp_port FROM browser_sessions WHERE id = :id")
                .bind("id", a.id()).mapTo(Integer.class).one());
        int bridge = fx.host.bridgePortOf(a.id());
        assertThat(bridge).isPositive();
        try (CdpClient p = page(b)) {
            String mark = "/loopback-" + UUID.randomUUID();
            eval(p, "fetch('" + fx.whoami.url(mark) + "').then(r => r.text())");
            // A loopback origin saw the device, never the browser itself: loopback is proxied.
            assertThat(fx.whoami.seen).contains(BrowserFixture.EGRESS + " " + mark).doesNotContain("127.0.0.1 " + mark);
            for (String js : new String[] {
                    "fetch('http://127.0.0.1:" + devtools + "/json/version').then(r => r.text(), e => 'refused ' + e)",
                    "fetch('http://127.0.0.1:" + bridge + "/').then(r => r.text(), e => 'refused ' + e)",
                    "new Promise(ok => { const w = new WebSocket('ws://127.0.0.1:" + devtools + "/devtools/browser');"
                            + " w.onopen = () => ok('open'); w.onerror = () => ok('error'); setTimeout(() => ok('timeout'), 3000); })"}) {
                long before = fx.host.bytesOf(b.id());
                eval(p, js);
                assertThat(fx.host.bytesOf(b.id())).as("went through B's own bridge: %s", js).isGreaterThan(before);
            }
        }
    }
}
