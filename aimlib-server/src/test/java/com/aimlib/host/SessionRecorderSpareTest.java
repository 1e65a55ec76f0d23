package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.protocol.host.RecordingOrder;
import com.aimlib.protocol.host.SpareTabMark;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's recorder and the relay's spare tabs, on a real Chromium: a waiting spare (its URL has a session's mark) is
 * no tab of the customer's, so the stop screenshots leave it out; once handed out (its URL made plain about:blank in
 * the same document, as the relay does) it is shot like any tab.
 */
class SessionRecorderSpareTest {
    private static final Duration T = Duration.ofSeconds(10);

    /** Chromium with the host's launch switches; answers its DevTools browser endpoint. */
    private static Process chromium(Path profile, String[] endpoint) throws Exception {
        Process p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-features=" + BrowserHost.DISABLED_FEATURES,
                "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank").redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("DevTools listening on (ws://\\S+)");
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                endpoint[0] = m.group(1);
                Thread.ofVirtual().start(() -> out.lines().forEach(l -> { }));
                return p;
            }
        }
        throw new AssertionError("chromium did not announce DevTools");
    }

    private static long stopShots(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve(SessionRecorder.SCREENSHOTS))) {
            return s.filter(f -> f.getFileName().toString().endsWith("-stop.png")).count();
        }
    }

    private static long record(Path tmp, boolean handOut) throws Exception {
        String[] endpoint = new String[1];
        Process browser = chromium(tmp.resolve("profile"), endpoint);
        try (CdpClient cdp = CdpClient.connect(URI.create(endpoint[0]), T)) {
            Path dir = tmp.resolve("rec");
            SessionRecorder recorder = SessionRecorder.start(URI.create(endpoint[0]),
                    new RecordingOrder(false, true, false, dir, 100L << 20), null);
            cdp.call("Target.createTarget", CdpClient.params().put("url", "data:text/html,<p>customer tab"), null, T);
            String spare = cdp.call("Target.createTarget", CdpClient.params().put("url", SpareTabMark.prefix(UUID.randomUUID()) + "5f"), null, T)
                    .path("targetId").asText();
            if (handOut) {
                String s = cdp.call("Target.attachToTarget", CdpClient.params().put("targetId", spare).put("flatten", true), null, T)
                        .path("sessionId").asText();
                cdp.call("Runtime.evaluate", CdpClient.params().put("expression", "history.replaceState(null, '', 'about:blank')"), s, T);
            }
            Thread.sleep(500); // the recorder hears of the tabs and their URLs
            recorder.finish();
            return stopShots(dir);
        } finally {
            browser.destroyForcibly().waitFor();
        }
    }

    @Test
    void aWaitingSpareTabIsNotShotAndAHandedOutOneIs(@TempDir Path tmp) throws Exception {
        // The first tab and the customer's tab; the waiting spare is left out.
        assertThat(record(tmp.resolve("waiting"), false)).isEqualTo(2);
        // Handed out, it is one of the session's tabs.
        assertThat(record(tmp.resolve("handed"), true)).isEqualTo(3);
    }
}
