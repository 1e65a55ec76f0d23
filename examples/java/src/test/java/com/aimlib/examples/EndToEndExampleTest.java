package com.aimlib.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link EndToEnd} as a customer would, in its own JVM with {@code AIMLIB_API_KEY} and {@code
 * AIMLIB_BASE_URL} in its environment, against a real in-process server; only the target URLs are local pages.
 */
class EndToEndExampleTest {
    @Test
    void theDocumentedEndToEndExampleRunsAgainstARealServer() throws Exception {
        try (BrowserFixture fx = new BrowserFixture(1)) {
            BrowserFixture.Tenant t = fx.tenant();
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classpath, EndToEnd.class.getName(), fx.whoami.url("/"), fx.whoami.url("/ip"))
                    .redirectErrorStream(true);
            pb.environment().put("AIMLIB_API_KEY", t.key());
            pb.environment().put("AIMLIB_BASE_URL", fx.gateway.baseUrl());
            pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("Using device " + t.device() + " in local", "Proxy: socks5h://", "Starting browser",
                    "Browser ready at IP: ", "Resolved profile: {", "device=pixel-8-pro", "Page title: ",
                    "External IP (via browser): " + BrowserFixture.EGRESS, "Session stopped");
            assertThat(out.indexOf("Session stopped")).isGreaterThan(out.indexOf("External IP"));

            Instant end = Instant.now().plus(Duration.ofSeconds(5));
            int status;
            do {
                status = fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode();
            } while (status != 404 && Instant.now().isBefore(end) && sleep());
            assertThat(status).as("the example's session is gone after it stopped").isEqualTo(404);
        }
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(20);
        return true;
    }
}
