package com.aimlib.gateway.proxy;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy front's benchmark, run by {@code bench/proxy/run.sh}: bulk downloads (curl) direct, through
 * the gateway's SOCKS5 and HTTP CONNECT fronts, and through Debian's Dante as a single-hop SOCKS5
 * baseline, interleaved round by round; then connection set-up latency over sequential connections.
 * Everything on loopback. Prints a Markdown report.
 */
public final class ProxyBench {
    private ProxyBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("size-mb", "1024", "repeats", "5", "connections", "1000", "streams", "direct", "workers", "0", "agent-threads", "1", "setup-warmup", "1000"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        long size = Long.parseLong(opts.get("size-mb")) * 1024 * 1024;
        int repeats = Integer.parseInt(opts.get("repeats"));
        int connections = Integer.parseInt(opts.get("connections"));
        // The least number of untimed connections through the gateway fronts before the timed ones (more
        // follow until the JIT is quiet; see JitWarmUp).
        int warmup = Integer.parseInt(opts.get("setup-warmup"));

        Path work = Files.createTempDirectory("aimlib-proxy-bench");
        Database db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Accounts accounts = new Accounts(db, box);
        DirectDeviceStreams direct = new DirectDeviceStreams();
        GatewayConfig config = GatewayConfig.builder().ephemeralPorts().workerThreads(Integer.parseInt(opts.get("workers"))).build();
        boolean viaTunnel = opts.get("streams").equals("tunnel");
        Gateway gateway = viaTunnel ? Gateway.start(config, db, box) : Gateway.start(config, db, box, direct);
        var customer = accounts.createCustomer("bench", 1);
        var device = accounts.createDevice("bench-device", "local", null, 1, null);
        com.aimlib.agent.Agent agent = null;
        if (viaTunnel) {
            String token = new com.aimlib.gateway.tunnel.AgentStore(db).mintToken(device.id()).orElseThrow().token();
            agent = com.aimlib.agent.Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                    List.of(new com.aimlib.agent.DeviceConfig(device.id(), token, "127.0.0.1", "bench", null, null, 2)),
                    com.aimlib.agent.AgentSettings.defaults().withEgress(com.aimlib.agent.EgressPolicy.parse("127.0.0.0/8")),
                    Integer.parseInt(opts.get("agent-threads")));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!gateway.tunnels().online(device.id()) && System.nanoTime() < until) {
                Thread.sleep(10);
            }
        }
        System.out.printf("Device streams: %s%n%n", viaTunnel ? "gateway → HTTP/2 tunnel → in-process agent (pool 2)" : "direct test stub (no tunnel)");
        var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        var proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        String creds = proxy.username() + ":" + proxy.password();

        try (Origin origin = new Origin(size); SetupOrigin setupOrigin = new SetupOrigin(); Dante dante = Dante.start(work)) {
            // A bench killed with SIGTERM (e.g. --serve-seconds cut short) must not leave danted behind.
            Runtime.getRuntime().addShutdownHook(new Thread(dante::close));
            String url = "http://127.0.0.1:" + origin.port() + "/";
            Map<String, List<String>> clients = new LinkedHashMap<>();
            clients.put("direct (no proxy)", List.of());
            clients.put("Dante SOCKS5 (single hop)", List.of("-x", "socks5h://127.0.0.1:" + dante.port));
            clients.put("gateway SOCKS5", List.of("-x", "socks5h://" + creds + "@127.0.0.1:" + gateway.socksPort()));
            clients.put("gateway HTTP CONNECT", List.of("-p", "-x", "http://" + creds + "@127.0.0.1:" + gateway.httpProxyPort()));
            long serveSeconds = Long.parseLong(opts.getOrDefault("serve-seconds", "0"));
            if (serveSeconds > 0) {
                // Profiling aid: print the curl commands, keep everything up, measure nothing.
                for (var e : clients.entrySet()) {
                    System.out.printf("%s: curl -o /dev/null %s %s%n", e.getKey(), String.join(" ", e.getValue()), url);
                }
                System.out.printf("pid %d, serving for %d s%n", ProcessHandle.current().pid(), serveSeconds);
                Thread.sleep(TimeUnit.SECONDS.toMillis(serveSeconds));
                return;
            }
            Map<String, List<Double>> mbps = new LinkedHashMap<>();
            clients.keySet().forEach(k -> mbps.put(k, new ArrayList<>()));
            // CPU seconds the proxy itself spent per GiB: Dante's processes, the gateway's and the agent's event loops.
            Map<String, List<double[]>> cpu = new LinkedHashMap<>();
            clients.keySet().forEach(k -> cpu.put(k, new ArrayList<>()));
            // Untimed passes through each gateway path until the JIT is done with the relay: a gateway in
            // service runs compiled code, and C2 compiling beside a timed transfer takes a core's worth of
            // CPU from it on this 2-core machine (it still compiled 0.3-0.9 s per GiB after the first few).
            JitWarmUp bulkWarm = JitWarmUp.until(1, 20, 50, () -> {
                for (var e : clients.entrySet()) {
                    if (e.getKey().startsWith("gateway")) {
                        curlMiBps(e.getValue(), url, size);
                    }
                }
            });
            HeapWatch watch = new HeapWatch();
            for (int r = 0; r < repeats; r++) {
                for (var e : clients.entrySet()) {
                    boolean viaGateway = e.getKey().startsWith("gateway");
                    if (viaGateway) {
                        watch.start();
                    }
                    double[] before = CpuWatch.sample(dante);
                    mbps.get(e.getKey()).add(curlMiBps(e.getValue(), url, size));
                    double[] after = CpuWatch.sample(dante);
                    double gib = size / (1024.0 * 1024 * 1024);
                    cpu.get(e.getKey()).add(new double[] {(after[0] - before[0]) / gib, (after[1] - before[1]) / gib, (after[2] - before[2]) / gib});
                    if (viaGateway) {
                        watch.stop();
                    }
                }
            }
            gateway.proxyFront().flushUsage();

            System.out.printf("## Bulk download, %d MiB, %d rounds (interleaved), curl -o /dev/null%n%n", size >> 20, repeats);
            System.out.printf("Untimed warm-up first: %s.%n%n", bulkWarm.describe("one download through each gateway path"));
            System.out.println("| path | median MiB/s | min | max | vs direct | vs Dante |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            double directMedian = median(mbps.get("direct (no proxy)"));
            double danteMedian = median(mbps.get("Dante SOCKS5 (single hop)"));
            for (var e : mbps.entrySet()) {
                double m = median(e.getValue());
                System.out.printf("| %s | %.0f | %.0f | %.0f | %.2f | %.2f |%n", e.getKey(), m,
                        e.getValue().stream().mapToDouble(d -> d).min().orElse(0), e.getValue().stream().mapToDouble(d -> d).max().orElse(0),
                        m / directMedian, m / danteMedian);
            }
            String deviceSide = viaTunnel ? "agent" : "stub loop";
            System.out.printf("%nCPU seconds per GiB spent by the proxy, median (Dante: its processes; gateway: its event loops; %s: %s):%n%n",
                    deviceSide, viaTunnel ? "the agent's event loop" : "the direct stub's loop, where the front moves its client channels, so the whole relay runs there");
            System.out.printf("| path | Dante | gateway | %s | proxy total |%n", deviceSide);
            System.out.println("|---|---:|---:|---:|---:|");
            for (var e : cpu.entrySet()) {
                if (e.getKey().startsWith("direct")) {
                    continue;
                }
                double[] m = new double[3];
                for (int i = 0; i < 3; i++) {
                    int col = i;
                    m[i] = median(e.getValue().stream().map(v -> v[col]).toList());
                }
                System.out.printf("| %s | %s | %s | %s | %.2f |%n", e.getKey(), m[0] > 0.005 ? "%.2f".formatted(m[0]) : "–",
                        m[1] > 0.005 ? "%.2f".formatted(m[1]) : "–", m[2] > 0.005 ? "%.2f".formatted(m[2]) : "–", m[0] + m[1] + m[2]);
            }
            System.out.printf("%nGateway JVM (-Xmx512m) during its transfers: max heap used %d MiB (lowest sample %d MiB), max Netty direct memory %d MiB.%n",
                    watch.maxHeap >> 20, watch.minHeap >> 20, watch.maxDirect >> 20);

            // Set-up connections go to an origin that only accepts and closes at EOF, on a Netty event loop
            // of its own: the bulk origin's virtual thread per connection cost ~250 µs of CPU each, a quarter
            // of all the CPU the set-up test used, taken from whichever path was being timed.
            int target = setupOrigin.port();
            // The set-up path (handshakes, HTTP/2 stream open, target connect) keeps the JIT busy for
            // thousands of connections: p50 fell from ~1.3 ms to ~0.55 ms over the first 16,000 here.
            JitWarmUp setupWarm = JitWarmUp.until(Math.max(1, warmup / 250), 80, 20, () -> {
                for (int i = 0; i < 250; i++) {
                    socksConnect(gateway.socksPort(), proxy.username(), proxy.password(), target);
                    httpConnect(gateway.httpProxyPort(), creds, target);
                }
            });
            System.out.printf("%n## Connection set-up, %d sequential connections per path after %d untimed ones (TCP connect → proxy success reply, target connect included)%n%n", connections, SETUP_PATH_WARMUP);
            System.out.printf("Untimed warm-up first: %s.%n%n", setupWarm.describe("250 connections through each gateway front"));
            System.out.printf("| path | p50 µs | p90 µs | p99 µs | p50 vs direct TCP | proxy CPU µs per connection (Dante / gateway / %s) |%n",
                    viaTunnel ? "agent" : "stub loop");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            Map<String, long[]> setup = new LinkedHashMap<>();
            Map<String, double[]> setupCpu = new LinkedHashMap<>();
            Map<String, Step> paths = new LinkedHashMap<>();
            paths.put("direct TCP connect", () -> directConnect(target));
            paths.put("Dante SOCKS5 (no auth)", () -> socksConnect(dante.port, null, null, target));
            paths.put("gateway SOCKS5 (user/pass)", () -> socksConnect(gateway.socksPort(), proxy.username(), proxy.password(), target));
            paths.put("gateway HTTP CONNECT", () -> httpConnect(gateway.httpProxyPort(), creds, target));
            for (var e : paths.entrySet()) {
                double[] before = CpuWatch.sample(dante);
                setup.put(e.getKey(), setupTimes(connections, SETUP_PATH_WARMUP, e.getValue()));
                double[] after = CpuWatch.sample(dante);
                double[] perConnection = new double[3];
                for (int i = 0; i < 3; i++) {
                    perConnection[i] = (after[i] - before[i]) * 1e6 / (connections + SETUP_PATH_WARMUP);
                }
                setupCpu.put(e.getKey(), perConnection);
            }
            double base = percentile(setup.get("direct TCP connect"), 50);
            for (var e : setup.entrySet()) {
                long[] t = e.getValue();
                double[] c = setupCpu.get(e.getKey());
                String perConnection = e.getKey().startsWith("direct") ? "–" : e.getKey().startsWith("Dante") ? "%.0f / – / –".formatted(c[0])
                        : "– / %.0f / %.0f".formatted(c[1], c[2]);
                System.out.printf("| %s | %.0f | %.0f | %.0f | %.1f× | %s |%n", e.getKey(), percentile(t, 50), percentile(t, 90), percentile(t, 99),
                        percentile(t, 50) / base, perConnection);
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
            gateway.close();
            direct.close();
            db.close();
        }
        System.exit(0);
    }

    private static double curlMiBps(List<String> proxyArgs, String url, long size) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"));
        cmd.addAll(proxyArgs);
        cmd.add(url);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.toLowerCase().endsWith("_proxy"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("curl failed: " + cmd + " -> " + out);
        }
        String[] parts = out.split(" ");
        long got = Long.parseLong(parts[0]);
        if (got != size) {
            throw new IllegalStateException("short download " + got + " of " + size + " via " + proxyArgs);
        }
        return got / Double.parseDouble(parts[1]) / (1024 * 1024);
    }

    /** One step of a measurement: a connection set-up, or a warm-up round. */
    private interface Step {
        void run() throws Exception;
    }

    /** Untimed connections right before each path's timed ones, the same for every path. */
    private static final int SETUP_PATH_WARMUP = 200;

    /**
     * Untimed rounds until the JIT goes quiet: at least {@code min}, at most {@code max}, stopping after a
     * round during which the compilers worked less than {@code quietMillis} (HotSpot's own count).
     */
    record JitWarmUp(int rounds, long compileMillis, long quietMillis, boolean quiet) {
        static JitWarmUp until(int min, int max, long quietMillis, Step round) throws Exception {
            var jit = ManagementFactory.getCompilationMXBean();
            long start = jit.getTotalCompilationTime();
            for (int r = 1; ; r++) {
                long before = jit.getTotalCompilationTime();
                round.run();
                long spent = jit.getTotalCompilationTime() - before;
                if (r >= max || r >= min && spent < quietMillis) {
                    return new JitWarmUp(r, jit.getTotalCompilationTime() - start, quietMillis, spent < quietMillis);
                }
            }
        }

        String describe(String round) {
            return "%d rounds of %s, %s (%d ms of JIT compiling in all)".formatted(rounds, round,
                    quiet ? "until one saw under %d ms of JIT compiling".formatted(quietMillis)
                            : "stopped at the round limit with the JIT still compiling over %d ms a round".formatted(quietMillis),
                    compileMillis);
        }
    }

    private static long[] setupTimes(int n, int warmup, Step s) throws Exception {
        for (int i = 0; i < warmup; i++) {
            s.run();
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            s.run();
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t;
    }

    private static void directConnect(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    private static void socksConnect(int proxyPort, String user, String pass, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort));
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(user == null ? new byte[] {5, 1, 0} : new byte[] {5, 1, 2});
            in.readNBytes(2);
            if (user != null) {
                byte[] u = user.getBytes(StandardCharsets.US_ASCII);
                byte[] p = pass.getBytes(StandardCharsets.US_ASCII);
                byte[] a = new byte[3 + u.length + p.length];
                a[0] = 1;
                a[1] = (byte) u.length;
                System.arraycopy(u, 0, a, 2, u.length);
                a[2 + u.length] = (byte) p.length;
                System.arraycopy(p, 0, a, 3 + u.length, p.length);
                out.write(a);
                if (in.readNBytes(2)[1] != 0) {
                    throw new IOException("auth failed");
                }
            }
            out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
            byte[] reply = in.readNBytes(10);
            if (reply.length < 10 || reply[1] != 0) {
                throw new IOException("socks connect failed " + Arrays.toString(reply));
            }
        }
    }

    private static void httpConnect(int proxyPort, String creds, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort));
            String req = "CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nProxy-Authorization: Basic "
                    + java.util.Base64.getEncoder().encodeToString(creds.getBytes(StandardCharsets.UTF_8)) + "\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes("HTTP/1.1 200 Connection established\r\n\r\n".length());
            if (!new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200")) {
                throw new IOException("CONNECT failed: " + new String(head, StandardCharsets.US_ASCII));
            }
        }
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(d -> d).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static double percentile(long[] sortedNanos, int p) {
        return sortedNanos[Math.min(sortedNanos.length - 1, (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1)] / 1000.0;
    }

    /** A minimal HTTP origin: answers every request with {@code size} bytes, as fast as the socket takes them. */
    static final class Origin implements AutoCloseable {
        private final ServerSocket server;
        private final long size;

        Origin(long size) throws IOException {
            this.size = size;
            server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::serve);
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> answer(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void answer(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                int state = 0;
                int b;
                while (state < 4 && (b = in.read()) >= 0) {
                    state = (b == '\r' || b == '\n') ? state + 1 : 0;
                }
                if (state < 4) {
                    return;
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[256 * 1024];
                for (long left = size; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, (int) Math.min(left, chunk.length));
                }
            } catch (IOException e) {
                // client went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** Accepts connections and closes each at its EOF, reading and sending nothing: the set-up test's target. */
    static final class SetupOrigin implements AutoCloseable {
        private final EventLoopGroup loop = EventLoops.group(1, "setup-origin");
        private final Channel server;

        SetupOrigin() throws InterruptedException {
            server = new ServerBootstrap().group(loop).channel(EventLoops.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new Discard())
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        /** Drops what arrives; without half-closure Netty closes the channel at its EOF. */
        @ChannelHandler.Sharable
        private static final class Discard extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Debian's danted as a single-hop SOCKS5 proxy on loopback, configured in a temp file. */
    static final class Dante implements AutoCloseable {
        final int port;
        private final Process process;

        private Dante(int port, Process process) {
            this.port = port;
            this.process = process;
        }

        static Dante start(Path work) throws Exception {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            Path conf = work.resolve("danted.conf");
            Files.writeString(conf, """
                    logoutput: %s
                    internal: 127.0.0.1 port = %d
                    external: 127.0.0.1
                    clientmethod: none
                    socksmethod: none
                    user.privileged: root
                    user.unprivileged: nobody
                    client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
                    socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }
                    socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }
                    """.formatted(work.resolve("danted.log"), port));
            Process p = new ProcessBuilder("/usr/sbin/danted", "-f", conf.toString(), "-p", work.resolve("danted.pid").toString(), "-N", "2")
                    .redirectErrorStream(true).redirectOutput(work.resolve("danted.out").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                    return new Dante(port, p);
                } catch (IOException e) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("danted exited: " + Files.readString(work.resolve("danted.out")));
                    }
                    Thread.sleep(50);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("danted did not listen");
        }

        /** CPU seconds used so far by danted and its children. */
        double cpuSeconds() {
            double sum = CpuWatch.procSeconds(process.pid());
            for (ProcessHandle h : process.descendants().toList()) {
                sum += CpuWatch.procSeconds(h.pid());
            }
            return sum;
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
        }
    }

    /** CPU time so far, in seconds: {Dante's processes, gateway event loops, agent event loops}. */
    static final class CpuWatch {
        private static final long TICKS = 100;

        static double[] sample(Dante dante) {
            double d = dante.cpuSeconds();
            var threads = ManagementFactory.getThreadMXBean();
            double gw = 0;
            double agent = 0;
            for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                long ns = threads.getThreadCpuTime(info.getThreadId());
                if (ns < 0) {
                    continue;
                }
                if (info.getThreadName().startsWith("gw-io")) {
                    gw += ns / 1e9;
                } else if (info.getThreadName().startsWith("agent-io") || info.getThreadName().startsWith("direct-device")) {
                    agent += ns / 1e9;
                }
            }
            return new double[] {d, gw, agent};
        }

        /** utime + stime of a process from /proc, in seconds (USER_HZ 100 on Linux). */
        static double procSeconds(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS;
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }

    /** Samples the gateway JVM's heap and Netty's direct memory while gateway transfers run. */
    static final class HeapWatch {
        long maxHeap;
        long minHeap = Long.MAX_VALUE;
        long maxDirect;
        private final AtomicBoolean running = new AtomicBoolean();
        private Thread thread;

        void start() {
            running.set(true);
            thread = Thread.ofPlatform().daemon().start(() -> {
                var mem = ManagementFactory.getMemoryMXBean();
                while (running.get()) {
                    long used = mem.getHeapMemoryUsage().getUsed();
                    maxHeap = Math.max(maxHeap, used);
                    minHeap = Math.min(minHeap, used);
                    maxDirect = Math.max(maxDirect, PlatformDependent.usedDirectMemory());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}
