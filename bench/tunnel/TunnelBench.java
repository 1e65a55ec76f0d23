import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Device tunnel benchmark on loopback: gateway (this JVM, embedded PostgreSQL) ↔ agent (a separate
 * {@code aimlib agent} process) ↔ local target servers. Every figure is printed next to a baseline
 * measured in the same run. Run with bench/tunnel/run.sh.
 */
public class TunnelBench {
    static EventLoopGroup clientLoop;

    public static void main(String[] args) throws Exception {
        long bulkBytes = Long.parseLong(System.getProperty("bulk.bytes", String.valueOf(1L << 30)));
        int rounds = Integer.getInteger("rounds", 3);
        int sequential = Integer.getInteger("sequential", 1000);
        int concurrent = Integer.getInteger("concurrent", 1000);
        Rig rig = Rig.start();
        Gateway gateway = rig.gateway();
        UUID device = rig.device();
        Process agent = startAgent(gateway.tunnelPort(), device, rig.token(), 2);
        clientLoop = EventLoops.group(1, "bench-client");
        try {
            rig.awaitTunnels(2);
            int source = sourceServer();
            int echo = echoServer();
            System.out.printf("cpus=%d java=%s heap_max=%dMiB transport=%s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20,
                    EventLoops.nativeTransport() ? "epoll" : "nio");

            // 0. Warm-up (JIT in both JVMs), not counted.
            for (int i = 0; i < 2; i++) {
                download(connectDirect(source), Math.min(bulkBytes, 256L << 20));
                download(gateway.deviceStreams().open(device, "127.0.0.1", source).get(10, TimeUnit.SECONDS), Math.min(bulkBytes, 256L << 20));
            }

            // 1. Bulk download: direct vs tunnel, interleaved rounds.
            double[] direct = new double[rounds];
            double[] tunnel = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                direct[r] = download(connectDirect(source), bulkBytes);
                tunnel[r] = download(gateway.deviceStreams().open(device, "127.0.0.1", source).get(10, TimeUnit.SECONDS), bulkBytes);
                System.out.printf("round %d: direct %.0f MB/s, tunnel %.0f MB/s%n", r + 1, direct[r], tunnel[r]);
            }
            double dm = median(direct);
            double tm = median(tunnel);
            System.out.printf("RESULT bulk %d MiB: direct median %.0f MB/s, tunnel median %.0f MB/s, ratio %.2f%n",
                    bulkBytes >> 20, dm, tm, tm / dm);

            // 2. Sequential set-up: 1,000 CONNECT streams vs 1,000 direct TCP connects.
            for (int i = 0; i < 100; i++) {
                gateway.deviceStreams().open(device, "127.0.0.1", echo).get(10, TimeUnit.SECONDS).close().sync();
            }
            long[] tunnelSetup = new long[sequential];
            long[] directSetup = new long[sequential];
            for (int i = 0; i < sequential; i++) {
                long t0 = System.nanoTime();
                Channel ch = connectDirect(echo);
                directSetup[i] = System.nanoTime() - t0;
                ch.close().sync();
                t0 = System.nanoTime();
                Channel s = gateway.deviceStreams().open(device, "127.0.0.1", echo).get(10, TimeUnit.SECONDS);
                tunnelSetup[i] = System.nanoTime() - t0;
                s.close().sync();
            }
            System.out.printf("RESULT setup x%d: tunnel p50 %.3f ms p99 %.3f ms; direct TCP connect p50 %.3f ms p99 %.3f ms%n",
                    sequential, pct(tunnelSetup, 50), pct(tunnelSetup, 99), pct(directSetup, 50), pct(directSetup, 99));

            // 3. Concurrent streams on one device, all open at once, each echoing 1 KiB.
            System.gc();
            long heapBefore = usedHeap();
            long t0 = System.nanoTime();
            List<CompletableFuture<Channel>> opening = new ArrayList<>();
            for (int i = 0; i < concurrent; i++) {
                opening.add(gateway.deviceStreams().open(device, "127.0.0.1", echo));
            }
            List<Channel> open = new ArrayList<>();
            List<CompletableFuture<Void>> echoed = new ArrayList<>();
            for (CompletableFuture<Channel> f : opening) {
                Channel ch = f.get(30, TimeUnit.SECONDS);
                open.add(ch);
                CompletableFuture<Void> done = new CompletableFuture<>();
                echoed.add(done);
                ch.pipeline().addLast(new CountUntil(1024, done));
                ch.config().setAutoRead(true);
                ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[1024]));
            }
            CompletableFuture.allOf(echoed.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            long allMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.gc();
            long heapOpen = usedHeap();
            long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            System.out.printf("RESULT concurrent %d streams open+echoed in %d ms; heap used after GC %d MiB with all open "
                    + "(%d MiB before), JVM -Xmx %d MiB%n", concurrent, allMs, heapOpen >> 20, heapBefore >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
            for (Channel ch : open) {
                ch.close();
            }

            // 4. Small request/response round trips on an open stream, alone and beside a bulk download.
            int small = Integer.getInteger("small", 300);
            long[] idle = smallRoundTrips(gateway.deviceStreams().open(device, "127.0.0.1", echo).get(10, TimeUnit.SECONDS), small);
            Channel bulk = gateway.deviceStreams().open(device, "127.0.0.1", source).get(10, TimeUnit.SECONDS);
            CompletableFuture<Double> bulkDone = CompletableFuture.supplyAsync(() -> {
                try {
                    return download(bulk, bulkBytes * 4);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300);
            long[] busy = smallRoundTrips(gateway.deviceStreams().open(device, "127.0.0.1", echo).get(10, TimeUnit.SECONDS), small);
            boolean overlapped = !bulkDone.isDone();
            double bulkRate = bulkDone.get(600, TimeUnit.SECONDS);
            System.out.printf("RESULT small 100 B round trips x%d: alone p50 %.3f ms p99 %.3f ms; beside a bulk download "
                    + "(%.0f MB/s, still running at the end: %s) p50 %.3f ms p99 %.3f ms%n", small, pct(idle, 50), pct(idle, 99),
                    bulkRate, overlapped, pct(busy, 50), pct(busy, 99));
        } finally {
            agent.destroy();
            agent.waitFor(10, TimeUnit.SECONDS);
            clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            rig.close();
        }
    }

    /** Writes 100 bytes and waits for their echo, {@code n} times, on one open stream. */
    static long[] smallRoundTrips(Channel ch, int n) throws Exception {
        long[] out = new long[n];
        java.util.concurrent.BlockingQueue<Integer> got = new java.util.concurrent.LinkedBlockingQueue<>();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                got.add(((ByteBuf) msg).readableBytes());
                ((ByteBuf) msg).release();
            }
        });
        ch.config().setAutoRead(true);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[100]));
            int seen = 0;
            while (seen < 100) {
                Integer b = got.poll(10, TimeUnit.SECONDS);
                if (b == null) {
                    throw new IllegalStateException("no echo");
                }
                seen += b;
            }
            out[i] = System.nanoTime() - t0;
        }
        ch.close();
        return out;
    }

    /** The gateway side of a tunnel benchmark: embedded PostgreSQL, a gateway on ephemeral ports, one device and its agent token. */
    record Rig(Database db, Gateway gateway, UUID device, String token) {
        static Rig start() throws Exception {
            Path dir = Files.createTempDirectory("aimlib-bench");
            Database db = Database.open(Database.Settings.embedded(dir.resolve("pg")));
            SecretBox box = new SecretBox(Secrets.randomBytes(32));
            Gateway gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
            UUID device = new Accounts(db, box).createDevice("bench", "local", null, 1, null).id();
            return new Rig(db, gateway, device, new AgentStore(db).mintToken(device).orElseThrow().token());
        }

        /** Waits up to 30 s for the agent's {@code pool} tunnel connections. */
        void awaitTunnels(int pool) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (gateway.tunnels().connections(device) < pool && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (gateway.tunnels().connections(device) < pool) {
                throw new IllegalStateException("agent did not connect");
            }
        }

        void close() {
            gateway.close();
            db.close();
        }
    }

    /** An {@code aimlib agent} process for the device, dialling the gateway's tunnel port (or a relay of it) on loopback. */
    static Process startAgent(int port, UUID device, String token, int pool) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "com.aimlib.Main", "agent", "--gateway", "127.0.0.1:" + port, "--device-id", device.toString(),
                "--bind", "127.0.0.1", "--pool", String.valueOf(pool), "--egress-allow", "127.0.0.0/8");
        pb.environment().put("AIMLIB_AGENT_TOKEN", token);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double pct(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1e6;
    }

    static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static Channel connectDirect(int port) throws InterruptedException {
        return new Bootstrap().group(clientLoop).channel(EventLoops.socketChannel())
                .option(ChannelOption.AUTO_READ, false).option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /** Asks the source for {@code n} bytes and times until its end of stream; MB/s (10^6). */
    static double download(Channel ch, long n) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        AtomicLong got = new AtomicLong();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                got.addAndGet(((ByteBuf) msg).readableBytes());
                ((ByteBuf) msg).release();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt == ChannelInputShutdownEvent.INSTANCE) {
                    done.complete(got.get());
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                done.complete(got.get());
            }
        });
        long t0 = System.nanoTime();
        ch.config().setAutoRead(true);
        ch.writeAndFlush(Unpooled.buffer(8).writeLong(n));
        long received = done.get(300, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        ch.close();
        if (received != n) {
            throw new IllegalStateException("received " + received + " of " + n);
        }
        return n / seconds / 1e6;
    }

    /** Reads an 8-byte length, writes that many bytes (honouring writability), then half-closes. */
    static int sourceServer() throws InterruptedException {
        ByteBuf chunk = Unpooled.unreleasableBuffer(Unpooled.directBuffer(256 * 1024).writeZero(256 * 1024));
        return serve(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    long left = -1;

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        if (left < 0 && b.readableBytes() >= 8) {
                            left = b.readLong();
                            pump(ctx);
                        }
                        b.release();
                    }

                    @Override
                    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                        pump(ctx);
                    }

                    void pump(ChannelHandlerContext ctx) {
                        while (left > 0 && ctx.channel().isWritable()) {
                            int n = (int) Math.min(left, chunk.capacity());
                            left -= n;
                            ctx.write(chunk.retainedSlice(0, n));
                        }
                        ctx.flush();
                        if (left == 0) {
                            left = -2;
                            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f ->
                                    ((DuplexChannel) f.channel()).shutdownOutput());
                        }
                    }
                });
            }
        });
    }

    static int echoServer() throws InterruptedException {
        return serve(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.writeAndFlush(msg);
                    }
                });
            }
        });
    }

    static int serve(ChannelInitializer<Channel> init) throws InterruptedException {
        Channel server = new ServerBootstrap().group(EventLoops.group(1, "bench-target")).channel(EventLoops.serverChannel())
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true).childOption(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(init).bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Completes once {@code n} bytes came back. */
    static final class CountUntil extends ChannelInboundHandlerAdapter {
        private final int n;
        private final CompletableFuture<Void> done;
        private int got;

        CountUntil(int n, CompletableFuture<Void> done) {
            this.n = n;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            got += ((ByteBuf) msg).readableBytes();
            ((ByteBuf) msg).release();
            if (got >= n) {
                done.complete(null);
            }
        }
    }
}
