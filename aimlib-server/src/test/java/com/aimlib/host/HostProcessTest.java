package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.BrowserFixture.Live;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real {@code aimlib host} process with nothing but a host credential (a token file): no database URL, no server
 * key. It registers over HTTP, boots, relays and stops sessions; killed with SIGKILL, its sessions are failed within
 * 10 s by the gateway's own reaper while another host's sessions carry on. Replaces HostOrdersTest (the database-polling
 * host it tested is gone).
 */
class HostProcessTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start() throws Exception {
        fx = BrowserFixture.remoteWithReaper(2);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static String awaitState(UUID id, Set<String> states, Duration within) throws InterruptedException {
        Instant end = Instant.now().plus(within);
        String s = fx.statusOf(id);
        while (Instant.now().isBefore(end) && !states.contains(s)) {
            Thread.sleep(10);
            s = fx.statusOf(id);
        }
        return s;
    }

    @Test
    void theHostProcessRunsOnATokenAloneAndItsDeathFailsOnlyItsSessionsWithinTenSeconds() throws Exception {
        String region = "proc-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode cred = fx.mintHostCredential(region, region);
        String token = cred.get("token").asText();
        Path tokenFile = Files.createTempFile("host", ".token");
        Files.writeString(tokenFile, token + "\n");
        Path work = Files.createTempDirectory("host-process");
        Path log = Files.createTempFile("host-process", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "com.aimlib.Main", "host", "--gateway", fx.gateway.baseUrl(), "--token-file", tokenFile.toString(),
                "--upstream", "socks5://127.0.0.1:" + fx.gateway.socksPort(), "--listen", "127.0.0.1:0", "--capacity", "2",
                "--work-dir", work.toString(), "--egress-probe-url", fx.whoami.url("/ip")));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AIMLIB_"));
        Process p = pb.start();
        List<ProcessHandle> tree = new CopyOnWriteArrayList<>();
        List<String> out = new CopyOnWriteArrayList<>();
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("aimlib host is up")) {
                out.add(line);
            }
            assertThat(line).as("start-up output %s; log %s", out, Files.readString(log)).startsWith("aimlib host is up");
            out.add(line);
            Thread.ofVirtual().start(() -> reader.lines().forEach(out::add));
            UUID hostId = UUID.fromString(cred.get("id").asText());
            assertThat(line).contains("id=" + hostId);

            // A session on the process host: created through /v1, driven by Playwright through the gateway relay and the
            // host's relay endpoint, stopped.
            BrowserFixture.Tenant t = fx.tenantIn(region);
            JsonNode c = BrowserFixture.json(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}"));
            UUID first = UUID.fromString(c.get("session_id").asText());
            fx.awaitStatus(t, "ready", Duration.ofSeconds(60));
            assertThat(hostOf(first)).isEqualTo(hostId);
            try (Playwright pw = Playwright.create()) {
                Browser br = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + first,
                        new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + c.get("connect_token").asText())));
                Page page = br.contexts().get(0).newPage();
                page.navigate(fx.whoami.url("/ip"));
                assertThat(page.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
                br.close();
            }
            assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
            assertThat(awaitState(first, Set.of("gone"), Duration.ofSeconds(20))).isEqualTo("gone");

            // A second session on it, and one on the other host (the fixture's).
            Live doomed = fx.ready(t, "{}");
            assertThat(hostOf(doomed.id())).isEqualTo(hostId);
            Live survivor = fx.ready(fx.tenant(), "{}");
            assertThat(hostOf(survivor.id())).isEqualTo(fx.host.id());
            p.descendants().forEach(tree::add);

            p.destroyForcibly();
            long t0 = System.nanoTime();
            String state = awaitState(doomed.id(), Set.of("failed"), Duration.ofSeconds(15));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("HostProcessTest: a killed host's session was failed after " + ms + " ms");
            assertThat(state).isEqualTo("failed");
            assertThat(ms).as("failed after %d ms", ms).isLessThan(10_000);
            assertThat(fx.db.jdbi().<String, RuntimeException>withHandle(h -> h.createQuery("SELECT failure_reason FROM browser_sessions WHERE id = :id")
                    .bind("id", doomed.id()).mapTo(String.class).one())).isEqualTo("host stopped heart-beating");
            assertThat(fx.statusOf(survivor.id())).isIn("ready", "active", "idle");
            assertThat(fx.wsUpgrade("/cdp/" + survivor.id(), survivor.token())).startsWith("HTTP/1.1 101");
            // the token never shows in what the host printed or logged
            assertThat(String.join("\n", out) + Files.readString(log)).doesNotContain(token);
        } finally {
            p.destroyForcibly();
            p.waitFor();
            tree.forEach(ProcessHandle::destroyForcibly);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            ProcessTree.deleteTree(work);
            Files.deleteIfExists(tokenFile);
        }
    }

    static UUID hostOf(UUID session) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT host_id FROM browser_sessions WHERE id = :id").bind("id", session)
                .mapTo(UUID.class).one());
    }
}
