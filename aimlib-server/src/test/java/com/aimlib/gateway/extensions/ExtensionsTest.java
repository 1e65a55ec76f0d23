package com.aimlib.gateway.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Customer extensions (issue 14), uploaded with curl and loaded into a real session: the extension's service worker
 * fetches a loopback origin and the origin sees the device's address (127.0.0.2), so its traffic went through the
 * device; the same worker finds file access denied. Refused permissions, traversal names and bad manifests are 400
 * {@code extension_invalid} with nothing stored; another customer gets 404.
 */
class ExtensionsTest {
    static BrowserFixture fx;
    static final int UPLOAD_CAP = 256 * 1024;

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(4, b -> b.extensionMaxBytes(UPLOAD_CAP)) : new BrowserFixture(4, b -> b.extensionMaxBytes(UPLOAD_CAP));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static String manifest(String extra) {
        return "{\"manifest_version\":3,\"name\":\"probe\",\"version\":\"1.2.3\",\"background\":{\"service_worker\":\"bg.js\"}" + extra + "}";
    }

    static String probeScript() {
        return """
                (async () => {
                  const fa = await chrome.extension.isAllowedFileSchemeAccess();
                  let file = "blocked";
                  try { await fetch("file:///etc/hostname"); file = "read"; } catch (e) {}
                  let tab = "blocked";
                  try { await chrome.tabs.create({url: "file:///etc/hostname"}); tab = "opened"; } catch (e) {}
                  try { await chrome.tabs.create({url: "chrome://extensions"}); } catch (e) {}
                  await fetch("%s?fileaccess=" + fa + "&file=" + file + "&tab=" + tab, {mode: "no-cors"});
                })();
                """.formatted(fx.whoami.url("/from-extension"));
    }

    static byte[] zip(Map<String, String> files) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** curl, as a customer would call it: the status code and the body. */
    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return com.aimlib.gateway.http.Json.MAPPER.readTree(body);
        }
    }

    static Answer curl(String key, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-w", "\n%{http_code}", "--max-time", "60", "-H", "Authorization: Bearer " + key));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        int nl = out.lastIndexOf('\n');
        return new Answer(Integer.parseInt(out.substring(nl + 1).trim()), out.substring(0, nl));
    }

    static Answer uploadZip(String key, byte[] zip) throws Exception {
        Path f = Files.createTempFile("ext", ".zip");
        try {
            Files.write(f, zip);
            return curl(key, "-H", "Content-Type: application/zip", "--data-binary", "@" + f, fx.gateway.baseUrl() + "/v1/extensions");
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** The URLs of the session's tabs, read from its DevTools on the host (after any pending close, within 10 s). */
    static List<String> pageUrls(UUID session) throws Exception {
        Path dir = fx.host.browserOf(session).orElseThrow().getValue();
        String port = Files.readAllLines(dir.resolve("DevToolsActivePort")).get(0).trim();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        List<String> urls = List.of();
        Instant end = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(end)) {
            String list = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            List<String> now = new ArrayList<>();
            for (JsonNode t : com.aimlib.gateway.http.Json.MAPPER.readTree(list)) {
                if ("page".equals(t.path("type").asText())) {
                    now.add(t.path("url").asText());
                }
            }
            urls = now;
            if (urls.stream().noneMatch(u -> u.startsWith("chrome:") || u.startsWith("file:"))) {
                return urls;
            }
            Thread.sleep(100);
        }
        return urls;
    }

    static List<String> commandLineOf(UUID session) {
        long pid = fx.host.browserOf(session).orElseThrow().getKey();
        return ProcessHandle.of(pid).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of());
    }

    @Test
    void anUploadedExtensionLoadsInItsSessionOnlyWithoutFileAccessAndItsTrafficLeavesThroughTheDevice() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        BrowserFixture.Tenant b = fx.tenant();
        Map<String, String> files = new LinkedHashMap<>();
        files.put("probe/manifest.json", manifest(",\"host_permissions\":[\"http://127.0.0.1/*\"],\"permissions\":[\"storage\"]"));
        files.put("probe/bg.js", probeScript());
        Answer up = uploadZip(a.key(), zip(files));
        assertThat(up.status()).as(up.body()).isEqualTo(201);
        JsonNode ext = up.json();
        String id = ext.get("id").asText();
        assertThat(ext.get("name").asText()).isEqualTo("probe");
        assertThat(ext.get("version").asText()).isEqualTo("1.2.3");
        assertThat(ext.get("manifest_version").asInt()).isEqualTo(3);
        assertThat(ext.get("permissions").toString()).isEqualTo("[\"storage\"]");
        assertThat(ext.get("file_count").asInt()).isEqualTo(2);

        // The same extension as a multipart folder upload (curl -F with each file's path as its filename).
        Path dir = Files.createTempDirectory("ext");
        Files.writeString(dir.resolve("manifest.json"), files.get("probe/manifest.json"));
        Files.writeString(dir.resolve("bg.js"), files.get("probe/bg.js"));
        Answer multi = curl(a.key(), "-F", "name=probe (folder)", "-F", "f1=@" + dir.resolve("manifest.json") + ";filename=probe/manifest.json",
                "-F", "f2=@" + dir.resolve("bg.js") + ";filename=probe/bg.js", fx.gateway.baseUrl() + "/v1/extensions");
        assertThat(multi.status()).as(multi.body()).isEqualTo(201);
        assertThat(multi.json().get("name").asText()).isEqualTo("probe (folder)");
        assertThat(curl(a.key(), fx.gateway.baseUrl() + "/v1/extensions").json()).hasSize(2);

        // Another customer neither sees nor uses it.
        assertThat(curl(b.key(), fx.gateway.baseUrl() + "/v1/extensions").body()).isEqualTo("[]");
        Answer other = curl(b.key(), fx.gateway.baseUrl() + "/v1/extensions/" + id);
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.body()).isEqualTo("{\"error\":\"not_found\",\"message\":\"extension not found\"}");
        assertThat(fx.call("POST", "/v1/devices/" + b.device() + "/browser", b.key(), "{\"extensions\":[\"" + id + "\"]}").statusCode()).isEqualTo(404);
        assertThat(curl(b.key(), "-X", "DELETE", fx.gateway.baseUrl() + "/v1/extensions/" + id).status()).isEqualTo(404);

        int before = fx.whoami.seen.size();
        BrowserFixture.Live s = fx.ready(a, "{\"ttl\":600,\"extensions\":[\"" + id + "\"]}");
        Instant end = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(end) && fx.whoami.seen.stream().noneMatch(x -> x.contains("/from-extension"))) {
            Thread.sleep(50);
        }
        List<String> hits = fx.whoami.seen.subList(before, fx.whoami.seen.size()).stream().filter(x -> x.contains("/from-extension")).toList();
        // Through the device (its agent binds 127.0.0.2), and the extension could read no host file.
        assertThat(hits).containsExactly(BrowserFixture.EGRESS + " /from-extension?fileaccess=false&file=blocked&tab=blocked");
        // The chrome://extensions tab the extension opened (where file access could be switched back on) is closed.
        assertThat(pageUrls(s.id())).isNotEmpty().noneMatch(u -> u.startsWith("chrome:") || u.startsWith("file:"));
        List<String> withExtension = commandLineOf(s.id());
        assertThat(withExtension).anyMatch(x -> x.startsWith("--load-extension=/")).anyMatch(x -> x.startsWith("--disable-extensions-except="));

        // Only in that session: B's browser loads none (Debian's wrapper adds an empty --load-extension= of its own).
        BrowserFixture.Live plain = fx.ready(b, "{\"ttl\":600}");
        assertThat(commandLineOf(plain.id())).noneMatch(x -> x.startsWith("--load-extension=/") || x.startsWith("--disable-extensions-except"));

        // Delete: gone for its customer; a session naming it is 404.
        assertThat(curl(a.key(), "-X", "DELETE", fx.gateway.baseUrl() + "/v1/extensions/" + id).body()).isEqualTo("{\"status\":\"deleted\"}");
        assertThat(curl(a.key(), fx.gateway.baseUrl() + "/v1/extensions/" + id).status()).isEqualTo(404);
        fx.call("DELETE", "/v1/devices/" + a.device() + "/browser", a.key(), null);
        fx.awaitStatus(a, "404", Duration.ofSeconds(20));
        assertThat(fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), "{\"extensions\":[\"" + id + "\"]}").statusCode()).isEqualTo(404);
        fx.call("DELETE", "/v1/devices/" + b.device() + "/browser", b.key(), null);
    }

    @Test
    void permissionsThatLeaveTheDeviceOrTheSandboxAndUnsafeArchivesAreRefusedWithNothingStored() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        for (String perm : List.of("proxy", "nativeMessaging", "debugger", "privacy", "vpnProvider", "webRequestBlocking", "downloads.open")) {
            Answer r = uploadZip(t.key(), zip(Map.of("manifest.json", manifest(",\"permissions\":[\"tabs\",\"" + perm + "\"]"), "bg.js", "")));
            assertThat(r.status()).as(perm).isEqualTo(400);
            assertThat(r.json().get("error").asText()).isEqualTo("extension_invalid");
            assertThat(r.json().get("message").asText()).startsWith("permission \"" + perm + "\" is refused: ");
        }
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("host pattern \"file:///*\" is refused", manifest(",\"host_permissions\":[\"file:///*\"]"));
        cases.put("manifest_version must be 3", manifest("").replace("\"manifest_version\":3", "\"manifest_version\":2"));
        cases.put("background scripts and pages are Manifest V2", manifest("").replace("\"service_worker\":\"bg.js\"", "\"scripts\":[\"bg.js\"]"));
        cases.put("manifest.json is not strict JSON", manifest("").replace("\"name\":\"probe\"", "\"name\":\"probe\",\"name\":\"twice\""));
        cases.put("version must be", manifest("").replace("1.2.3", "1.2.3.4.5"));
        cases.put("redirects must go to http(s) URLs", manifest(",\"declarative_net_request\":{\"rule_resources\":[{\"id\":\"r\",\"enabled\":true,\"path\":\"rules.json\"}]}"));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Map<String, String> files = new LinkedHashMap<>(Map.of("manifest.json", c.getValue(), "bg.js", ""));
            files.put("rules.json", "[{\"id\":1,\"action\":{\"type\":\"redirect\",\"redirect\":{\"url\":\"file:///etc/passwd\"}},\"condition\":{\"urlFilter\":\"x\"}}]");
            Answer r = uploadZip(t.key(), zip(files));
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).isEqualTo("extension_invalid");
            assertThat(r.json().get("message").asText()).contains(c.getKey());
        }
        for (String evil : List.of("../escape.js", "/abs.js", "a/../../b.js", "sub\\..\\x.js", "c:/x.js")) {
            Answer r = uploadZip(t.key(), zip(Map.of("manifest.json", manifest(""), "bg.js", "", evil, "x")));
            assertThat(r.status()).as(evil).isEqualTo(400);
            assertThat(r.json().get("message").asText()).as(evil).startsWith("zip refused: entry");
        }
        Answer notZip = curl(t.key(), "-H", "Content-Type: application/zip", "--data-binary", "not a zip", fx.gateway.baseUrl() + "/v1/extensions");
        assertThat(notZip.status()).isEqualTo(400);
        assertThat(notZip.json().get("error").asText()).isEqualTo("extension_invalid");
        Answer text = curl(t.key(), "-H", "Content-Type: text/plain", "--data-binary", "x", fx.gateway.baseUrl() + "/v1/extensions");
        assertThat(text.status()).isEqualTo(400);

        // The upload route's own size cap; every other route keeps the 64 KiB body limit.
        byte[] big = new byte[UPLOAD_CAP + 1];
        new java.util.Random(1).nextBytes(big);
        Answer tooBig = uploadZip(t.key(), zip(Map.of("manifest.json", manifest(""), "bg.js", "", "blob.bin", new String(big, StandardCharsets.ISO_8859_1))));
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.json().get("error").asText()).isEqualTo("payload_too_large");
        assertThat(tooBig.json().get("message").asText()).isEqualTo("request body exceeds " + UPLOAD_CAP + " bytes");
        String ticket = "{\"subject\":\"s\",\"body\":\"" + "x".repeat(70 * 1024) + "\"}";
        Answer bigTicket = curl(t.key(), "-H", "Content-Type: application/json", "--data-binary", ticket, fx.gateway.baseUrl() + "/v1/tickets");
        assertThat(bigTicket.status()).isEqualTo(413);
        assertThat(bigTicket.json().get("message").asText()).isEqualTo("request body exceeds 65536 bytes");

        // Scope: uploading needs sessions.write.
        String readOnly = fx.accounts.mintKey(t.customer(), "ro", Set.of("proxies.read"), null).plaintext();
        assertThat(uploadZip(readOnly, zip(Map.of("manifest.json", manifest(""), "bg.js", ""))).status()).isEqualTo(403);
        assertThat(curl(readOnly, fx.gateway.baseUrl() + "/v1/extensions").status()).isEqualTo(200);

        Integer rows = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_extensions WHERE customer_id = :c")
                .bind("c", t.customer()).mapTo(Integer.class).one());
        assertThat(rows).isZero();
    }
}
