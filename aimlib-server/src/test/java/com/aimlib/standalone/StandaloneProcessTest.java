package com.aimlib.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import com.aimlib.testing.Ports;
import org.junit.jupiter.api.Test;

/**
 * {@code aimlib standalone --demo} as a real process on its own embedded PostgreSQL: it serves the demo,
 * stops cleanly on SIGTERM (database stopped), and a restart on the same data prints the same keys.
 */
class StandaloneProcessTest {

    record Started(Process process, Map<String, String> exports, List<String> lines) {
    }

    /** Proxy and tunnel ports stay the same across the restart, as a configured deployment's do. */
    static final int[] PORTS = Ports.free(3);

    static Started start(Path dataDir) throws Exception {
        return awaitUp(launch(dataDir, 0, ProcessBuilder.Redirect.DISCARD));
    }

    /** Starts {@code standalone --demo} on {@code restPort} (0: any) without waiting for it; stderr goes to {@code stderr}. */
    static Process launch(Path dataDir, int restPort, ProcessBuilder.Redirect stderr) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "com.aimlib.Main", "standalone", "--demo", "--port", String.valueOf(restPort), "--socks-port", String.valueOf(PORTS[0]),
                "--http-proxy-port", String.valueOf(PORTS[1]), "--tunnel-port", String.valueOf(PORTS[2]), "--data-dir", dataDir.toString())
                .redirectError(stderr)
                .start();
        p.getOutputStream().close();
        return p;
    }

    /** Reads the demo's export lines until the process says it is up. */
    static Started awaitUp(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Map<String, String> exports = new LinkedHashMap<>();
        List<String> lines = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String line;
        while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
            lines.add(line);
            if (line.startsWith("export ")) {
                String[] kv = line.substring(7).split("=", 2);
                exports.put(kv[0], kv[1]);
            }
            if (line.startsWith("aimlib standalone is up")) {
                return new Started(p, exports, lines);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("standalone did not come up: " + lines);
    }

    static int stop(Started s) throws Exception {
        s.process().destroy();
        assertThat(s.process().waitFor(30, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
        return s.process().exitValue();
    }

    @Test
    void demoServesStopsCleanlyOnSigtermAndRestartsWithTheSameKeys() throws Exception {
        Path data = Files.createTempDirectory("aimlib-standalone-test");
        HttpClient http = HttpClient.newHttpClient();
        Started first = start(data);
        String base = first.exports().get("AIMLIB_BASE_URL");
        String key = first.exports().get("AIMLIB_API_KEY");
        assertThat(first.lines()).as("one operator key: the demo's, in the export lines").noneMatch(l -> l.contains("shown once"));
        String origin = first.exports().get("AIMLIB_DEMO_ORIGIN");
        assertThat(origin).startsWith("http://127.0.0.1:");
        // The in-process demo agent probes its egress at the demo origin's /ip page and reports it.
        HttpResponse<String> devices;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        do {
            devices = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(devices.statusCode()).isEqualTo(200);
        } while (!devices.body().contains("\"current_egress_ip\":\"127.0.0.1\"") && System.nanoTime() < until && sleep(100));
        assertThat(devices.body()).contains("\"current_egress_ip\":\"127.0.0.1\"");
        assertThat(devices.body()).contains("\"region\":\"local\"").contains("\"url\":\"socks5h://");
        String proxyUrl = devices.body().replaceAll("(?s).*\"url\":\"([^\"]+)\".*", "$1");
        assertThat(curl("-x", proxyUrl, origin + "/ip"))
                .as("the demo proxy works at once, through the in-process demo agent").isEqualTo("127.0.0.1");
        assertThat(curl("-x", proxyUrl, origin + "/")).contains("Reached through the device");
        String httpProxy = "http://" + proxyUrl.substring(proxyUrl.indexOf("://") + 3).replaceFirst(":\\d+$", ":" + PORTS[1]);
        assertThat(curl("-x", httpProxy, "-w", " %{http_code}", base + "/healthz"))
                .as("the gateway's own port is not reachable through the device")
                .startsWith("{\"error\":\"egress_forbidden\"").endsWith(" 403");

        assertThat(stop(first)).isIn(0, 143);
        assertThat(data.resolve("pg/postmaster.pid")).doesNotExist();

        Started second = start(data);
        try {
            assertThat(second.exports()).isEqualTo(Map.of(
                    "AIMLIB_BASE_URL", second.exports().get("AIMLIB_BASE_URL"),
                    "AIMLIB_API_KEY", key,
                    "AIMLIB_ADMIN_URL", second.exports().get("AIMLIB_BASE_URL"),
                    "AIMLIB_OPERATOR_KEY", first.exports().get("AIMLIB_OPERATOR_KEY"),
                    "AIMLIB_DEMO_ORIGIN", second.exports().get("AIMLIB_DEMO_ORIGIN")));
            assertThat(second.lines()).noneMatch(l -> l.contains("shown once"));
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(second.exports().get("AIMLIB_BASE_URL") + "/v1/devices"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.body()).isEqualTo(devices.body());
        } finally {
            stop(second);
        }
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("curl", "-s", "--max-time", "20"));
        command.addAll(List.of(args));
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }
}
