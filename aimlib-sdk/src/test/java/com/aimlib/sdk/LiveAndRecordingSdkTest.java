package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.protocol.RecordingBody;
import com.aimlib.protocol.SessionPagesBody;
import com.aimlib.testing.BrowserFixture;
import com.microsoft.playwright.Page;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java SDK's live-view and recording calls (issue 14) against the real server. */
class LiveAndRecordingSdkTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = Server.shared();
    }

    @Test
    void pagesLiveViewLinksAndARecordingThroughTheSdk() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        Path dir = Files.createTempDirectory("sdk-rec");
        String sessionId;
        try (Aimlib ai = server.client(t.key());
             BrowserSession session = ai.device(t.device().toString())
                     .browser(BrowserOptions.builder().recording(true, true, false).build())) {
            sessionId = session.id();
            Page page = session.newPage();
            page.navigate(server.fx.whoami.url("/sdk-recorded"));
            List<SessionPagesBody.Page> pages = session.pages();
            assertThat(pages).anyMatch(p -> p.url().equals(server.fx.whoami.url("/sdk-recorded")));
            String view = session.liveViewUrl(false);
            String control = session.liveViewUrl(true);
            assertThat(view).contains("/live/" + session.id() + "/").contains("mode=view");
            assertThat(control).contains("mode=control");
            HttpResponse<String> html = HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(URI.create(view)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(html.statusCode()).isEqualTo(200);
            assertThat(html.body()).contains("aimlib live view");
            assertThat(session.recording().list().status()).isEqualTo("recording");
        }
        BrowserFixture fx = server.fx;
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"gone".equals(fx.statusOf(java.util.UUID.fromString(sessionId))) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        try (Aimlib ai = server.client(t.key())) {
            SessionRecording rec = ai.recording(sessionId);
            RecordingBody listed = rec.list();
            assertThat(listed.status()).isEqualTo("complete");
            assertThat(listed.files()).extracting(RecordingBody.File::name).contains("recording.har");
            Path har = rec.download("recording.har", dir);
            assertThat(Files.readString(har)).contains("/sdk-recorded");
            assertThatThrownBy(() -> rec.download("video.mp4", dir)).isInstanceOf(AimlibException.class);
        }
        // Another customer's key: the session is not found.
        BrowserFixture.Tenant other = server.fx.tenant();
        try (Aimlib ai = server.client(other.key())) {
            assertThatThrownBy(() -> ai.recording(sessionId).list()).isInstanceOf(AimlibException.class)
                    .hasMessageContaining("session_not_found");
        }
    }
}
