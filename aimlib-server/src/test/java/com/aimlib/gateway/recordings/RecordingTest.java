package com.aimlib.gateway.recordings;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14's recordings end to end: a session created with every recording on, driven by Playwright to a loopback
 * page through the device; after stop its HAR lists the request, its video is an H.264 MP4 ffprobe reads with a
 * positive duration, its screenshots are PNGs; curl downloads them; another customer gets 404; a full quota is 409;
 * retention (by the injected clock) deletes them.
 */
class RecordingTest {
    static BrowserFixture fx;
    static Path dir;

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("aimlib-recordings");
        fx = new BrowserFixture(2, RecordingSettings.in(dir).manualSweep().withRetention(Duration.ofHours(1)));
    }

    @AfterAll
    static void down() {
        fx.close();
    }

    /** curl, a real client, downloads {@code path} with {@code key} into {@code out}; returns the HTTP status. */
    private static int curl(String path, String key, Path out) throws Exception {
        Process p = new ProcessBuilder("curl", "-sS", "-o", out.toString(), "-w", "%{http_code}", "-H", "Authorization: Bearer " + key,
                fx.gateway.baseUrl() + path).redirectErrorStream(true).start();
        String code = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return Integer.parseInt(code.substring(code.length() - 3));
    }

    private static void awaitGone(UUID session) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!"gone".equals(fx.statusOf(session)) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(fx.statusOf(session)).isEqualTo("gone");
    }

    @Test
    void aRecordedSessionLeavesAHarAVideoAndScreenshotsForItsOwnerOnlyUntilRetentionEnds() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        BrowserFixture.Tenant b = fx.tenant();
        BrowserFixture.Live live = fx.ready(a, "{\"recording\":{\"har\":true,\"screenshots\":true,\"video\":true}}");
        String page = fx.whoami.url("/recorded?probe=har");
        try (Playwright pw = Playwright.create()) {
            Browser session = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + live.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + live.token())));
            Page tab = session.contexts().get(0).pages().get(0);
            tab.navigate(page);
            assertThat(tab.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
            // Something to film: the page changes colour a few times.
            for (String colour : List.of("red", "green", "blue", "yellow")) {
                tab.evaluate("c => document.body.style.background = c", colour);
                Thread.sleep(400);
            }
            // While the session runs the listing says so; the load's screenshot is there already.
            JsonNode during = awaitScreenshot(a, live.id());
            assertThat(during.path("status").asText()).isEqualTo("recording");
            assertThat(during.path("expires_at").isNull()).isTrue();
            session.close();
        }
        assertThat(fx.call("DELETE", "/v1/devices/" + a.device() + "/browser", a.key(), null).statusCode()).isEqualTo(200);
        awaitGone(live.id());

        HttpResponse<String> listed = fx.call("GET", "/v1/sessions/" + live.id() + "/recording", a.key(), null);
        assertThat(listed.statusCode()).isEqualTo(200);
        JsonNode l = BrowserFixture.json(listed);
        assertThat(l.path("status").asText()).isEqualTo("complete");
        assertThat(l.path("recording").path("video").asBoolean()).isTrue();
        assertThat(l.path("expires_at").asText()).isNotEmpty();
        List<String> names = new ArrayList<>();
        long total = 0;
        for (JsonNode f : l.path("files")) {
            names.add(f.path("name").asText());
            total += f.path("bytes").asLong();
        }
        assertThat(names).contains("recording.har", "video.mp4");
        assertThat(names.stream().filter(n -> n.startsWith("screenshots/") && n.endsWith(".png")).count()).isGreaterThanOrEqualTo(2);
        assertThat(l.path("storage").path("used_bytes").asLong()).isEqualTo(total);
        assertThat(l.path("storage").path("quota_bytes").asLong()).isEqualTo(RecordingSettings.DEFAULT_QUOTA);
        // Nothing of the host's work files (the frames) is left or listed.
        assertThat(names).noneMatch(n -> n.contains(".frames") || n.endsWith(".jpg"));

        Path tmp = Files.createTempDirectory("rec-dl");
        // The HAR names the request the session made, with the device's answer.
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/recording.har", a.key(), tmp.resolve("r.har"))).isEqualTo(200);
        JsonNode har = Json.MAPPER.readTree(tmp.resolve("r.har").toFile());
        assertThat(har.path("log").path("version").asText()).isEqualTo("1.2");
        JsonNode entry = null;
        for (JsonNode e : har.path("log").path("entries")) {
            if (e.path("request").path("url").asText().equals(page)) {
                entry = e;
            }
        }
        assertThat(entry).as("HAR entry for " + page + " in " + har).isNotNull();
        assertThat(entry.path("request").path("method").asText()).isEqualTo("GET");
        assertThat(entry.path("response").path("status").asInt()).isEqualTo(200);
        assertThat(entry.path("request").path("queryString").get(0).path("value").asText()).isEqualTo("har");

        // The video: a real MP4 that ffprobe reads, H.264, longer than zero.
        Path video = tmp.resolve("v.mp4");
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/video.mp4", a.key(), video)).isEqualTo(200);
        Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=codec_name,width,height:format=duration", "-of", "json", video.toString()).redirectErrorStream(true).start();
        JsonNode info = Json.MAPPER.readTree(probe.getInputStream().readAllBytes());
        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).isZero();
        assertThat(info.path("streams").get(0).path("codec_name").asText()).isEqualTo("h264");
        assertThat(info.path("streams").get(0).path("width").asInt()).isGreaterThan(100);
        assertThat(Double.parseDouble(info.path("format").path("duration").asText("0"))).isGreaterThan(0.5);

        // A screenshot is a PNG.
        String shot = names.stream().filter(n -> n.startsWith("screenshots/")).findFirst().orElseThrow();
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/" + shot, a.key(), tmp.resolve("s.png"))).isEqualTo(200);
        byte[] png = Files.readAllBytes(tmp.resolve("s.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');

        // Another customer: 404 on the listing and on every file; odd names are 404, never a path outside.
        assertThat(fx.call("GET", "/v1/sessions/" + live.id() + "/recording", b.key(), null).statusCode()).isEqualTo(404);
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/video.mp4", b.key(), tmp.resolve("x"))).isEqualTo(404);
        assertThat(Files.readString(tmp.resolve("x"))).contains("session_not_found");
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/" + shot, b.key(), tmp.resolve("x"))).isEqualTo(404);
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/..%2F..%2Fserver.key", a.key(), tmp.resolve("x"))).isEqualTo(404);
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/.frames", a.key(), tmp.resolve("x"))).isEqualTo(404);
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/video.mp4", "ak_live_nope", tmp.resolve("x"))).isEqualTo(401);

        // Quota: once the customer's recordings fill it, a recorded session is 409 and nothing is created; an
        // unrecorded one still starts.
        long quota = total;
        fx.db.jdbi().useHandle(h -> h.createUpdate("UPDATE customers SET storage_quota_bytes = :q WHERE id = :c")
                .bind("q", quota).bind("c", a.customer()).execute());
        int sessionsBefore = sessionCount(a);
        HttpResponse<String> full = fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), "{\"recording\":{\"har\":true}}");
        assertThat(full.statusCode()).isEqualTo(409);
        assertThat(BrowserFixture.json(full).path("error").asText()).isEqualTo("storage_quota_exceeded");
        assertThat(sessionCount(a)).isEqualTo(sessionsBefore);
        BrowserFixture.Live plain = fx.ready(a, "{}");
        // A session without recording: the owner is told so (404 not_found), another customer gets session_not_found.
        HttpResponse<String> none = fx.call("GET", "/v1/sessions/" + plain.id() + "/recording", a.key(), null);
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(BrowserFixture.json(none).path("error").asText()).isEqualTo("not_found");
        fx.call("DELETE", "/v1/devices/" + a.device() + "/browser", a.key(), null);
        awaitGone(plain.id());

        // Retention: an hour after the session ended (injected clock) the sweep deletes files and listing.
        Path sessionDir = dir.resolve(a.customer().toString()).resolve(live.id().toString());
        assertThat(sessionDir).isDirectory();
        assertThat(fx.gateway.recordings().sweep()).isZero();
        fx.advance(Duration.ofMinutes(61));
        assertThat(fx.gateway.recordings().sweep()).isGreaterThanOrEqualTo(1);
        assertThat(sessionDir).doesNotExist();
        assertThat(fx.call("GET", "/v1/sessions/" + live.id() + "/recording", a.key(), null).statusCode()).isEqualTo(404);
        assertThat(curl("/v1/sessions/" + live.id() + "/recording/video.mp4", a.key(), tmp.resolve("x"))).isEqualTo(404);
        // With the files gone the quota has room again.
        HttpResponse<String> again = fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), "{\"recording\":{\"har\":true}}");
        assertThat(again.statusCode()).isEqualTo(201);
    }

    private JsonNode awaitScreenshot(BrowserFixture.Tenant t, UUID session) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last = null;
        while (System.nanoTime() < end) {
            last = BrowserFixture.json(fx.call("GET", "/v1/sessions/" + session + "/recording", t.key(), null));
            for (JsonNode f : last.path("files")) {
                if ("screenshot".equals(f.path("kind").asText())) {
                    return last;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no screenshot while recording: " + last);
    }

    private static int sessionCount(BrowserFixture.Tenant t) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE customer_id = :c")
                .bind("c", t.customer()).mapTo(Integer.class).one());
    }

    @Test
    void aCreateThatAdoptsAnIdleSessionWithARecordingRestartsItsBrowserAndRecordsTheNewLife() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live first = fx.ready(t, "{}");
        long pidBefore = fx.host.browserOf(first.id()).orElseThrow().getKey();
        String base = "http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + first.id();
        try (Playwright pw = Playwright.create()) {
            Browser a = pw.chromium().connectOverCDP(base, new BrowserType.ConnectOverCDPOptions()
                    .setHeaders(Map.of("Authorization", "Bearer " + first.token())));
            fx.awaitStatus(t, "active", Duration.ofSeconds(10));
            a.close();
            fx.awaitStatus(t, "idle", Duration.ofSeconds(10));

            HttpResponse<String> adopt = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"recording\":{\"har\":true}}");
            assertThat(adopt.statusCode()).as(adopt.body()).isEqualTo(201);
            JsonNode created = BrowserFixture.json(adopt);
            assertThat(created.path("session_id").asText()).isEqualTo(first.id().toString());
            fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            assertThat(fx.host.browserOf(first.id()).orElseThrow().getKey()).isNotEqualTo(pidBefore);

            Browser b = pw.chromium().connectOverCDP(base, new BrowserType.ConnectOverCDPOptions()
                    .setHeaders(Map.of("Authorization", "Bearer " + created.path("connect_token").asText())));
            Page tab = b.contexts().get(0).pages().get(0);
            tab.navigate(fx.whoami.url("/adopted?recorded=yes"));
            assertThat(tab.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
            b.close();
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        awaitGone(first.id());
        Path har = Files.createTempFile("adopted", ".har");
        assertThat(curl("/v1/sessions/" + first.id() + "/recording/recording.har", t.key(), har)).isEqualTo(200);
        assertThat(Files.readString(har)).contains(fx.whoami.url("/adopted?recorded=yes"));
    }

    @Test
    void aSessionRecordsNoMoreScreenshotsAndFramesThanTheQuotaLeft() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        long quota = 20_000;
        fx.db.jdbi().useHandle(h -> h.createUpdate("UPDATE customers SET storage_quota_bytes = :q WHERE id = :c")
                .bind("q", quota).bind("c", t.customer()).execute());
        BrowserFixture.Live live = fx.ready(t, "{\"recording\":{\"screenshots\":true,\"video\":true}}");
        try (Playwright pw = Playwright.create()) {
            Browser b = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + live.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + live.token())));
            Page tab = b.contexts().get(0).pages().get(0);
            // Noisy pages: every load is a screenshot, every change a frame, far more than 40 kB together.
            for (int i = 0; i < 6; i++) {
                tab.navigate(fx.whoami.url("/noise" + i));
                tab.evaluate("() => { for (let i = 0; i < 400; i++) { const d = document.createElement('div'); "
                        + "d.textContent = Math.random().toString(36).repeat(8); d.style.color = '#' + (Math.random() * 0xffffff | 0).toString(16); "
                        + "document.body.appendChild(d); } }");
                Thread.sleep(300);
            }
            b.close();
        }
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        awaitGone(live.id());
        JsonNode l = BrowserFixture.json(fx.call("GET", "/v1/sessions/" + live.id() + "/recording", t.key(), null));
        long screenshots = 0;
        int count = 0;
        for (JsonNode f : l.path("files")) {
            if ("screenshot".equals(f.path("kind").asText())) {
                screenshots += f.path("bytes").asLong();
                count++;
            }
        }
        // The budget (the quota left at create) bounds what was kept: 6 loads and a stop would be 7 screenshots, and
        // the noisy frames alone are far above 20 kB; the video is made from the frames kept.
        assertThat(screenshots).isLessThanOrEqualTo(quota);
        assertThat(count).isLessThan(7);
    }

    @Test
    void aBadRecordingFieldIs400AndCreatesNothing() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        for (String body : List.of("{\"recording\":true}", "{\"recording\":{\"vidoe\":true}}", "{\"recording\":{\"har\":\"yes\"}}")) {
            HttpResponse<String> r = fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(BrowserFixture.json(r).path("error").asText()).isEqualTo("bad_request");
        }
        int rows = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM session_recordings WHERE customer_id = :c")
                .bind("c", a.customer()).mapTo(Integer.class).one());
        assertThat(rows).isZero();
    }
}
