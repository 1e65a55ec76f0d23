package com.aimlib.gateway.replicas;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Direct vs routed proxy connections, in one run: two gateway replicas on one embedded PostgreSQL, one real agent
 * dialling replica A only. "direct" = SOCKS5 through A (the tunnel holder); "routed" = SOCKS5 through B, which
 * looks the holder up and opens the stream over the peer link. Measured, interleaved per iteration:
 * connection setup (TCP connect + SOCKS5 auth + CONNECT answered + a 1-byte echo round trip) and echo throughput
 * (MiB sent and received back through the device, read to the last byte, no half-close). Prints medians and routed/direct ratios.
 * Run with {@code bench/replicas/run.sh [--setups 200] [--bulk-mib 32] [--bulk-runs 5]}.
 */
public final class ReplicaRoutingBench {
    private ReplicaRoutingBench() {
    }

    public static void main(String[] args) throws Exception {
        int setups = 200;
        int bulkMib = 32;
        int bulkRuns = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--setups" -> setups = Integer.parseInt(args[++i]);
                case "--bulk-mib" -> bulkMib = Integer.parseInt(args[++i]);
                case "--bulk-runs" -> bulkRuns = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        try (Database db = TestDatabases.fresh()) {
            SecretBox box = new SecretBox(Secrets.randomBytes(32));
            try (Gateway a = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
                 Gateway b = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
                 RotationFixture fx = new RotationFixture(db, new Accounts(db, box))) {
                RotationFixture.Tenant t = fx.tenant();
                RotationFixture.Device d = fx.device("127.0.0.1");
                Accounts.Proxy p = fx.lease(t, d);
                try (Agent ignored = fx.agent(a, d, AgentSettings.defaults(), null, null)) {
                    // Warm-up: JIT, pools, the peer link's first connections.
                    for (int i = 0; i < 30; i++) {
                        setup(a, p, fx.echoPort());
                        setup(b, p, fx.echoPort());
                    }
                    List<Double> direct = new ArrayList<>();
                    List<Double> routed = new ArrayList<>();
                    for (int i = 0; i < setups; i++) {
                        if (i % 2 == 0) {
                            direct.add(setup(a, p, fx.echoPort()));
                            routed.add(setup(b, p, fx.echoPort()));
                        } else {
                            routed.add(setup(b, p, fx.echoPort()));
                            direct.add(setup(a, p, fx.echoPort()));
                        }
                    }
                    List<Double> directBulk = new ArrayList<>();
                    List<Double> routedBulk = new ArrayList<>();
                    bulk(a, p, fx.echoPort(), bulkMib);
                    bulk(b, p, fx.echoPort(), bulkMib);
                    for (int i = 0; i < bulkRuns; i++) {
                        directBulk.add(bulk(a, p, fx.echoPort(), bulkMib));
                        routedBulk.add(bulk(b, p, fx.echoPort(), bulkMib));
                    }
                    double ds = median(direct);
                    double rs = median(routed);
                    double dt = median(directBulk);
                    double rt = median(routedBulk);
                    System.out.printf("connection setup (n=%d each): direct median %.2f ms p90 %.2f ms | routed median %.2f ms p90 %.2f ms | routed/direct %.2fx%n",
                            setups, ds, p90(direct), rs, p90(routed), rs / ds);
                    System.out.printf("echo throughput (%d MiB each way, %d runs): direct median %.1f MiB/s | routed median %.1f MiB/s | routed/direct %.2fx%n",
                            bulkMib, bulkRuns, dt, rt, rt / dt);
                    System.out.printf("streams routed by B: %d%n", b.routedStreams().routed());
                }
            }
        }
    }

    /** Milliseconds from TCP connect to the first echoed byte, through {@code g}'s SOCKS5 port. */
    static double setup(Gateway g, Accounts.Proxy p, int echo) throws Exception {
        long t0 = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), g.socksPort())) {
            s.setSoTimeout(30_000);
            s.setTcpNoDelay(true);
            if (ProxyRoutingReplicasTest.socksConnect(s, p, echo) != 0) {
                throw new IllegalStateException("SOCKS5 CONNECT refused through port " + g.socksPort());
            }
            s.getOutputStream().write(42);
            if (s.getInputStream().read() != 42) {
                throw new IllegalStateException("no echo");
            }
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** MiB/s of {@code mib} MiB sent and echoed back through {@code g}'s SOCKS5 port. */
    static double bulk(Gateway g, Accounts.Proxy p, int echo, int mib) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        new Random(1).nextBytes(chunk);
        long total = (long) mib << 20;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), g.socksPort())) {
            s.setSoTimeout(60_000);
            if (ProxyRoutingReplicasTest.socksConnect(s, p, echo) != 0) {
                throw new IllegalStateException("SOCKS5 CONNECT refused");
            }
            long t0 = System.nanoTime();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (long sent = 0; sent < total; sent += chunk.length) {
                        s.getOutputStream().write(chunk);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            int n;
            // Read exactly what was sent (no half-close: the timing ends with the last echoed byte).
            while (got < total && (n = in.read(buf, 0, (int) Math.min(buf.length, total - got))) > 0) {
                got += n;
            }
            writer.join();
            if (got != total) {
                throw new IllegalStateException("echoed " + got + " of " + total);
            }
            return mib / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    static double p90(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get((int) Math.min(s.size() - 1, Math.round(s.size() * 0.9)));
    }
}
