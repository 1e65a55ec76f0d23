package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.testing.BrowserFixture;
import com.microsoft.playwright.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code ai.sessions()} and {@code BrowserOptions.startUrl} (issue 14) against the real server. */
class SessionsTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = Server.shared();
    }

    @Test
    void listsGetsAndShowsTheEndOfASessionThatOpenedItsStartUrl() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        BrowserFixture.Tenant other = server.fx.tenant();
        String start = server.fx.whoami.url("/sdk-start");
        try (Aimlib ai = server.client(t.key()); Aimlib theirs = server.client(other.key())) {
            assertThat(ai.sessions().list()).isEmpty();
            String id;
            try (BrowserSession session = ai.device(t.device().toString())
                    .browser(BrowserOptions.builder().ttl("5m").startUrl(start).build())) {
                id = session.id();
                session.connect();
                Page first = session.newPage(); // the initial tab, already on its way to the start URL
                first.waitForURL(start, new Page.WaitForURLOptions().setTimeout(20_000));
                assertThat(first.textContent("body")).isEqualTo(BrowserFixture.EGRESS);

                List<SessionInfo> live = ai.sessions().list();
                assertThat(live).extracting(SessionInfo::id).containsExactly(id);
                SessionInfo info = ai.sessions().get(id);
                assertThat(info.deviceId()).isEqualTo(t.device().toString());
                assertThat(info.status()).isIn("ready", "active");
                assertThat(info.startUrl()).isEqualTo(start);
                assertThat(info.egressIp()).isEqualTo(BrowserFixture.EGRESS);
                assertThat(info.ended()).isFalse();
                assertThat(ai.sessions().page(null, 1, null).sessions()).hasSize(1);

                // Another customer sees nothing of it.
                assertThat(theirs.sessions().list("all")).isEmpty();
                assertThatThrownBy(() -> theirs.sessions().get(id)).isInstanceOf(AimlibException.class)
                        .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(404));
                session.stop();
            }
            Instant end = Instant.now().plusSeconds(20);
            while (Instant.now().isBefore(end) && !ai.sessions().get(id).ended()) {
                Thread.sleep(50);
            }
            SessionInfo ended = ai.sessions().get(id);
            assertThat(ended.status()).isEqualTo("gone");
            assertThat(ended.endReason()).isEqualTo("stopped");
            assertThat(ended.endedAt()).isNotNull();
            assertThat(ended.duration()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(ended.bytesUsed()).isPositive();
            assertThat(ai.sessions().list()).isEmpty();
            assertThat(ai.sessions().list("ended")).extracting(SessionInfo::id).containsExactly(id);

            // A start URL that is not http(s) is the server's 400, nothing started.
            assertThatThrownBy(() -> ai.device(t.device().toString()).browser(BrowserOptions.builder().startUrl("file:///etc/passwd").build()))
                    .isInstanceOf(AimlibException.class).hasMessageContaining("start_url must be an http or https URL")
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(400));
            assertThatThrownBy(() -> ai.sessions().list("sleeping")).isInstanceOf(AimlibException.class).hasMessageContaining("status must be");
        }
    }
}
