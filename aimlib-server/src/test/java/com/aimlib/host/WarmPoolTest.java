package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pre-launched browsers: used by one session each, bound to it only on use, replaced afterwards. */
class WarmPoolTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(4);
        fx.host.close();
        fx.host = BrowserHost.start(fx.hostSettings(4).withWarmPool(1), fx.gateway.sessions());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static void awaitWarm() throws InterruptedException {
        Instant end = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(end) && fx.host.warmCount() < 1) {
            Thread.sleep(20);
        }
        assertThat(fx.host.warmCount()).isEqualTo(1);
    }

    @Test
    void aDefaultProfileSessionTakesAWarmBrowserOnceAndTheNextGetsAFreshOne() throws Exception {
        awaitWarm();
        Instant before = Instant.now();
        BrowserFixture.Tenant a = fx.tenant();
        JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), "{}"));
        JsonNode ready = fx.awaitStatus(a, "ready", Duration.ofSeconds(30));
        assertThat(ready.get("egress_ip").asText()).isEqualTo(BrowserFixture.EGRESS);
        UUID first = UUID.fromString(c.get("session_id").asText());
        Map.Entry<Long, Path> browser = fx.host.browserOf(first).orElseThrow();
        assertThat(ProcessHandle.of(browser.getKey()).orElseThrow().info().startInstant().orElseThrow()).isBefore(before);
        assertThat(fx.wsUpgrade("/cdp/" + first, c.get("connect_token").asText())).startsWith("HTTP/1.1 101");

        awaitWarm();
        BrowserFixture.Tenant b = fx.tenant();
        JsonNode c2 = BrowserFixture.json(fx.call("POST", "/v1/devices/" + b.device() + "/browser", b.key(), "{}"));
        fx.awaitStatus(b, "ready", Duration.ofSeconds(30));
        Map.Entry<Long, Path> second = fx.host.browserOf(UUID.fromString(c2.get("session_id").asText())).orElseThrow();
        assertThat(second.getKey()).isNotEqualTo(browser.getKey());
        assertThat(second.getValue()).isNotEqualTo(browser.getValue());

        // a profile whose launch flags differ never takes a warm browser
        awaitWarm();
        Instant coldFrom = Instant.now();
        BrowserFixture.Tenant d = fx.tenant();
        JsonNode c3 = BrowserFixture.json(fx.call("POST", "/v1/devices/" + d.device() + "/browser", d.key(), "{\"profile\":{\"timezone\":\"Asia/Tokyo\"}}"));
        fx.awaitStatus(d, "ready", Duration.ofSeconds(30));
        long coldPid = fx.host.browserOf(UUID.fromString(c3.get("session_id").asText())).orElseThrow().getKey();
        assertThat(ProcessHandle.of(coldPid).orElseThrow().info().startInstant().orElseThrow()).isAfter(coldFrom.minusMillis(1000));
        assertThat(fx.host.warmCount()).isEqualTo(1);

        for (BrowserFixture.Tenant t : new BrowserFixture.Tenant[] {a, b, d}) {
            assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
            fx.awaitStatus(t, "404", Duration.ofSeconds(15));
        }
        Instant end = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(end) && Files.exists(browser.getValue())) {
            Thread.sleep(20);
        }
        assertThat(Files.exists(browser.getValue())).isFalse();
        assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }
}
