package com.aimlib.gateway.rotation;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Rotation time on loopback: N customer rotations ({@code POST /v1/devices/{id}/rotate-ip {"wait": true}}) of
 * one device whose rotate command flips its binding file between 127.0.0.3 and 127.0.0.4, against a baseline
 * measured in the same run: the same rotate command plus one what-is-my-IP probe from the new address, done
 * directly (the work no state machine can avoid). Prints medians, p90 and the ratio.
 * Run with {@code bench/rotation/run.sh [--rotations 20]}.
 */
public final class RotationBench {
    private RotationBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = 20;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rotations")) {
                n = Integer.parseInt(args[++i]);
            }
        }
        try (Database db = TestDatabases.fresh()) {
            SecretBox box = new SecretBox(Secrets.randomBytes(32));
            try (Gateway gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts()
                    .rotation(RotationSettings.defaults().withMinInterval(Duration.ZERO)).build(), db, box);
                 RotationFixture fx = new RotationFixture(db, new Accounts(db, box))) {
                RotationFixture.Tenant t = fx.tenant();
                RotationFixture.Device d = fx.device("127.0.0.3");
                fx.lease(t, d);
                String flip = "if grep -q 127.0.0.3 %f; then printf 127.0.0.4 > %f; else printf 127.0.0.3 > %f; fi";
                AgentSettings agent = AgentSettings.defaults().withRotation(Duration.ofSeconds(5), Duration.ofSeconds(10));
                try (Agent ignored = fx.agent(gateway, d, agent, flip, null)) {
                    List<Double> baseline = new ArrayList<>();
                    List<Double> rotations = new ArrayList<>();
                    List<Double> inAgent = new ArrayList<>();
                    HttpClient probeFrom3 = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.3")).build();
                    HttpClient probeFrom4 = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.4")).build();
                    String cmd = flip.replace("%f", d.bindFile().toString());
                    for (int i = 0; i < n; i++) {
                        // Baseline: the rotate command and one probe from the address it wrote, nothing else.
                        long b0 = System.nanoTime();
                        Process p = new ProcessBuilder("sh", "-c", cmd).start();
                        p.waitFor();
                        String ip = Files.readString(d.bindFile()).trim();
                        HttpClient probe = ip.equals("127.0.0.3") ? probeFrom3 : probeFrom4;
                        probe.send(HttpRequest.newBuilder(URI.create(fx.whatIsMyIpUrl())).build(), HttpResponse.BodyHandlers.ofString());
                        baseline.add((System.nanoTime() - b0) / 1e6);
                        // The agent's next status report would notice the baseline's flip: flip back so the rotation has work to do.
                        new ProcessBuilder("sh", "-c", cmd).start().waitFor();

                        long r0 = System.nanoTime();
                        HttpResponse<String> r = RotationFixture.call(gateway, "POST", "/v1/devices/" + d.id() + "/rotate-ip", t.key(),
                                "{\"wait\": true}");
                        double ms = (System.nanoTime() - r0) / 1e6;
                        JsonNode op = RotationFixture.json(r);
                        if (!"succeeded".equals(op.path("status").asText())) {
                            throw new IllegalStateException("rotation " + i + " did not succeed: " + r.body());
                        }
                        rotations.add(ms);
                        inAgent.add((double) Duration.between(java.time.Instant.parse(op.get("started_at").asText()),
                                java.time.Instant.parse(op.get("finished_at").asText())).toMillis());
                    }
                    System.out.printf("rotations=%d%n", n);
                    System.out.printf("baseline (rotate command + one probe, direct): median %.1f ms, p90 %.1f ms%n",
                            pct(baseline, 50), pct(baseline, 90));
                    System.out.printf("POST rotate-ip wait=true (client view):        median %.1f ms, p90 %.1f ms%n",
                            pct(rotations, 50), pct(rotations, 90));
                    System.out.printf("operation started_at -> finished_at:          median %.1f ms, p90 %.1f ms%n",
                            pct(inAgent, 50), pct(inAgent, 90));
                    System.out.printf("ratio rotate-ip / baseline (median): %.2fx, overhead %.1f ms%n",
                            pct(rotations, 50) / pct(baseline, 50), pct(rotations, 50) - pct(baseline, 50));
                }
            }
        }
    }

    static double pct(List<Double> values, int p) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
