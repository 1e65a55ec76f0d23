package com.aimlib.gateway.proxy;

import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What the unified port's first-byte detection costs at connection set-up: two proxy fronts in one JVM on the same
 * worker loops, database and device streams — one as before (SOCKS5-only and HTTP-only ports), one with the unified
 * SOCKS5 port — and four paths measured interleaved, round by round in rotating order: TCP connect → proxy handshake
 * (user/password) → proxy success reply → first byte from the target (which writes one byte on accept). The device
 * side is {@link DirectDeviceStreams} (the front alone), so the difference is the front's. Run: {@code bench/proxy/detect.sh}.
 */
public final class ProtocolDetectBench {
    private ProtocolDetectBench() {
    }

    interface Path {
        void run() throws IOException;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("rounds", "3000", "warmup", "4000", "workers", "2"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int rounds = Integer.parseInt(opts.get("rounds"));
        int warmup = Integer.parseInt(opts.get("warmup"));
        Database db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Accounts accounts = new Accounts(db, box);
        var customer = accounts.createCustomer("bench", 1);
        var device = accounts.createDevice("bench-device", "local", null, 1, null);
        var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        Accounts.Proxy proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        EventLoopGroup workers = EventLoops.group(Integer.parseInt(opts.get("workers")), "proxy-worker");
        EventLoopGroup originLoop = EventLoops.group(1, "origin");
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        DirectDeviceStreams streams = new DirectDeviceStreams();
        Channel origin = new ServerBootstrap().group(originLoop).channel(EventLoops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'!'}));
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public boolean isSharable() {
                        return true;
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        int target = ((InetSocketAddress) origin.localAddress()).getPort();
        ProxyFront.Settings base = ProxyFront.Settings.defaults();
        try (ProxyFront today = ProxyFront.start("127.0.0.1", 0, 0, db, box, Clock.systemUTC(), streams, workers, blocking,
                base.withUnifiedSocksPort(false), new SimpleMeterRegistry());
             ProxyFront unified = ProxyFront.start("127.0.0.1", 0, 0, db, box, Clock.systemUTC(), streams, workers, blocking,
                     base.withUnifiedSocksPort(true), new SimpleMeterRegistry())) {
            String user = proxy.username();
            String pass = proxy.password();
            Map<String, Path> paths = new LinkedHashMap<>();
            paths.put("SOCKS5, SOCKS5-only port (today)", () -> socks(today.socksPort(), user, pass, target));
            paths.put("SOCKS5, unified port", () -> socks(unified.socksPort(), user, pass, target));
            paths.put("HTTP CONNECT, HTTP-only port (today)", () -> connect(today.httpPort(), user, pass, target));
            paths.put("HTTP CONNECT, unified port", () -> connect(unified.socksPort(), user, pass, target));
            List<String> names = new ArrayList<>(paths.keySet());
            System.out.printf("# protocol detection bench  %s  cores=%d  load average %s%n", Instant.now(),
                    Runtime.getRuntime().availableProcessors(), loadAverage());
            System.out.printf("# %d untimed rounds, then %d timed rounds; each round one connection per path, order rotated; "
                    + "connect -> handshake -> proxy reply -> first byte from the target%n%n", warmup, rounds);
            for (int r = 0; r < warmup; r++) {
                for (Path p : paths.values()) {
                    p.run();
                }
            }
            Map<String, long[]> times = new LinkedHashMap<>();
            names.forEach(n -> times.put(n, new long[rounds]));
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get((r + k) % names.size());
                    long t0 = System.nanoTime();
                    paths.get(name).run();
                    times.get(name)[r] = System.nanoTime() - t0;
                }
            }
            System.out.println("| path | p50 µs | p90 µs | p99 µs |");
            System.out.println("|---|---:|---:|---:|");
            for (String n : names) {
                long[] t = times.get(n);
                Arrays.sort(t);
                System.out.printf("| %s | %.1f | %.1f | %.1f |%n", n, pct(t, 50), pct(t, 90), pct(t, 99));
            }
            System.out.println();
            System.out.println("| protocol | p50 today µs | p50 unified µs | difference µs | ratio |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (int i = 0; i < names.size(); i += 2) {
                double a = pct(times.get(names.get(i)), 50);
                double b = pct(times.get(names.get(i + 1)), 50);
                System.out.printf("| %s | %.1f | %.1f | %+.1f | %.3f |%n", names.get(i).substring(0, names.get(i).indexOf(',')), a, b, b - a, b / a);
            }
            System.out.printf("%n# load average at the end %s%n", loadAverage());
        } finally {
            origin.close().sync();
            streams.close();
            workers.shutdownGracefully().sync();
            originLoop.shutdownGracefully().sync();
            blocking.shutdownNow();
            db.close();
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1_000.0;
    }

    private static void socks(int proxyPort, String user, String pass, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort));
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(new byte[] {5, 1, 2});
            in.readNBytes(2);
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
            out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
            byte[] reply = in.readNBytes(10);
            if (reply.length < 10 || reply[1] != 0) {
                throw new IOException("socks connect failed " + Arrays.toString(reply));
            }
            if (in.read() != '!') {
                throw new IOException("no first byte from the target");
            }
        }
    }

    private static void connect(int proxyPort, String user, String pass, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort));
            String req = "CONNECT 127.0.0.1:" + port + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nProxy-Authorization: Basic "
                    + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8)) + "\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes("HTTP/1.1 200 Connection established\r\n\r\n".length());
            if (!new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200")) {
                throw new IOException("CONNECT failed: " + new String(head, StandardCharsets.US_ASCII));
            }
            if (in.read() != '!') {
                throw new IOException("no first byte from the target");
            }
        }
    }
}
