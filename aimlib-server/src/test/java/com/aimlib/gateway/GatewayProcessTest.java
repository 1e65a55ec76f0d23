package com.aimlib.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code aimlib gateway} as a real process: listeners on the given ports, a preset operator key, SIGTERM stops it. */
class GatewayProcessTest {

    @Test
    void gatewayRoleServesTheOperatorApiAndStopsOnSigterm() throws Exception {
        Path data = Files.createTempDirectory("aimlib-gateway-test");
        int[] ports = Ports.free(4);
        String operatorKey = "ak_op_" + "x".repeat(40);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "com.aimlib.Main", "gateway", "--port", String.valueOf(ports[0]), "--socks-port", String.valueOf(ports[1]),
                "--http-proxy-port", String.valueOf(ports[2]), "--tunnel-port", String.valueOf(ports[3]),
                "--operator-key", operatorKey, "--data-dir", data.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("aimlib gateway is up")) {
                lines.add(line);
            }
            assertThat(line).as("start-up output %s", lines)
                    .isEqualTo("aimlib gateway is up: http://127.0.0.1:" + ports[0] + " socks5=" + ports[1]
                            + " http-proxy=" + ports[2] + " tunnel=" + ports[3]);

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> customers = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0] + "/admin/v1/customers"))
                    .header("Authorization", "Bearer " + operatorKey).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(customers.statusCode()).isEqualTo(200);
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0] + "/admin/v1/customers"))
                    .header("Authorization", "Bearer ak_op_wrong").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(401);
        } finally {
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
        }
        assertThat(data.resolve("pg/postmaster.pid")).as("embedded database stopped").doesNotExist();
    }
}
