import com.aimlib.gateway.Gateway;
import com.aimlib.net.EventLoops;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tunnel across an emulated long link (see {@link LinkEmulator}; run with bench/tunnel/rtt.sh):
 *
 * <pre>
 *   direct:  client ──[link]── origin
 *   tunnel:  client → gateway ──[link]── agent → origin     (the agent's tunnel connections cross the link)
 * </pre>
 *
 * (a)/(b) one bulk download, direct vs one tunnel stream, interleaved rounds; (c) 100-byte request/response
 * exchanges on another stream of the same device (and on another TCP connection for the direct baseline) while
 * a bulk download runs, against the link's round trip. Properties: link.mbit (100), link.delay.ms (one way, 50),
 * link.queue.bytes (one BDP), link.mode (fair|fifo), link.window (6 MiB), pool (2), bulk.bytes (100 MiB),
 * rounds (3), small (200), beside.rounds (3).
 */
public class RttBench {
    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        double mbit = Double.parseDouble(System.getProperty("link.mbit", "100"));
        long delayMs = Long.getLong("link.delay.ms", 50);
        long bdp = (long) (mbit * 1e6 / 8 * 2 * delayMs / 1000);
        long queue = Long.getLong("link.queue.bytes", bdp);
        LinkEmulator.Mode mode = LinkEmulator.Mode.valueOf(System.getProperty("link.mode", "fair").toUpperCase());
        long window = Long.getLong("link.window", 6L << 20);
        int pool = Integer.getInteger("pool", 2);
        long bulkBytes = Long.getLong("bulk.bytes", 100L << 20);
        int rounds = Integer.getInteger("rounds", 3);
        int small = Integer.getInteger("small", 200);

        TunnelBench.Rig rig = TunnelBench.Rig.start();
        Gateway gateway = rig.gateway();
        UUID device = rig.device();
        LinkEmulator link = new LinkEmulator(mbit * 1e6, TimeUnit.MILLISECONDS.toNanos(delayMs), queue, mode, window);
        TunnelBench.clientLoop = EventLoops.group(1, "bench-client");
        int source = TunnelBench.sourceServer();
        int echo = TunnelBench.echoServer();
        int tunnelViaLink = link.relay(gateway.tunnelPort(), true);
        int sourceViaLink = link.relay(source, false);
        int echoViaLink = link.relay(echo, false);
        Process agent = TunnelBench.startAgent(tunnelViaLink, device, rig.token(), pool);
        try {
            rig.awaitTunnels(pool);
            System.out.printf("cpus=%d java=%s transport=%s link: %.0f Mbit/s each way, one-way delay %d ms (RTT %d ms), "
                            + "BDP %d KiB, queue %d KiB %s, per-connection window %d KiB; tunnel pool %d%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    EventLoops.nativeTransport() ? "epoll" : "nio", mbit, delayMs, 2 * delayMs, bdp >> 10, queue >> 10,
                    mode, window >> 10, pool);

            Callable<Channel> direct = () -> TunnelBench.connectDirect(sourceViaLink);
            Callable<Channel> tunnel = () -> gateway.deviceStreams().open(device, "127.0.0.1", source).get(10, TimeUnit.SECONDS);
            Callable<Channel> directEcho = () -> TunnelBench.connectDirect(echoViaLink);
            Callable<Channel> tunnelEcho = () -> gateway.deviceStreams().open(device, "127.0.0.1", echo).get(10, TimeUnit.SECONDS);

            // 0. Idle round trips and a warm-up download each way (JIT in both JVMs), not counted.
            long[] idleDirect = TunnelBench.smallRoundTrips(directEcho.call(), 20);
            long[] idleTunnel = TunnelBench.smallRoundTrips(tunnelEcho.call(), 20);
            System.out.printf("RESULT idle 100 B round trip: direct p50 %.1f ms, tunnel p50 %.1f ms (link RTT %d ms)%n",
                    TunnelBench.pct(idleDirect, 50), TunnelBench.pct(idleTunnel, 50), 2 * delayMs);
            TunnelBench.download(direct.call(), Math.min(bulkBytes, 32L << 20));
            TunnelBench.download(tunnel.call(), Math.min(bulkBytes, 32L << 20));

            // 1. One bulk download: direct TCP vs one tunnel stream, interleaved rounds.
            double[] d = new double[rounds];
            double[] t = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                d[r] = TunnelBench.download(direct.call(), bulkBytes);
                t[r] = TunnelBench.download(tunnel.call(), bulkBytes);
                System.out.printf("round %d: direct %.2f MB/s (%.1f Mbit/s), tunnel %.2f MB/s (%.1f Mbit/s), ratio %.3f%n",
                        r + 1, d[r], d[r] * 8, t[r], t[r] * 8, t[r] / d[r]);
            }
            double dm = TunnelBench.median(d);
            double tm = TunnelBench.median(t);
            System.out.printf("RESULT bulk %d MiB at %d ms RTT: direct median %.2f MB/s (%.1f Mbit/s), one tunnel stream "
                            + "median %.2f MB/s (%.1f Mbit/s), ratio %.3f (target >= 0.8)%n",
                    bulkBytes >> 20, 2 * delayMs, dm, dm * 8, tm, tm * 8, tm / dm);

            // 2. Small exchanges beside a bulk download: direct baseline, then the tunnel.
            int besideRounds = Integer.getInteger("beside.rounds", 3);
            double[][] bd = new double[4][besideRounds];
            double[][] bt = new double[4][besideRounds];
            for (int r = 0; r < besideRounds; r++) {
                double[] x = beside("direct", link, direct, directEcho, false, small, delayMs);
                double[] y = beside("tunnel", link, tunnel, tunnelEcho, true, small, delayMs);
                for (int i = 0; i < 4; i++) {
                    bd[i][r] = x[i];
                    bt[i][r] = y[i];
                }
            }
            if (besideRounds > 0) {
                System.out.printf("RESULT beside a bulk download, medians over %d rounds (RTT %d ms): 1 stream p50/p99 direct "
                                + "%.1f/%.1f ms, tunnel %.1f/%.1f ms; 4 streams at once p50/p99 direct %.1f/%.1f ms, tunnel %.1f/%.1f ms%n",
                        besideRounds, 2 * delayMs, TunnelBench.median(bd[0]), TunnelBench.median(bd[1]),
                        TunnelBench.median(bt[0]), TunnelBench.median(bt[1]), TunnelBench.median(bd[2]),
                        TunnelBench.median(bd[3]), TunnelBench.median(bt[2]), TunnelBench.median(bt[3]));
            }
            System.out.printf("link: up max queue %d KiB, down max queue %d KiB%n", link.up.maxQueued >> 10,
                    link.down.maxQueued >> 10);
        } finally {
            agent.destroy();
            agent.waitFor(10, TimeUnit.SECONDS);
            link.close();
            TunnelBench.clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            rig.close();
        }
    }

    /**
     * Starts an endless download, lets it fill the link for 2 s, then times 100-byte echoes on other
     * connections/streams: {@code small} sequential ones on one stream, then 4 streams at once with
     * {@code small / 4} each, then (for the tunnel) 30 stream set-ups; then drops the download.
     */
    static double[] beside(String name, LinkEmulator link, Callable<Channel> bulkOpen, Callable<Channel> echoOpen,
                       boolean setups, int small, long delayMs) throws Exception {
        Channel bulk = bulkOpen.call();
        AtomicLong got = new AtomicLong();
        bulk.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                got.addAndGet(((ByteBuf) msg).readableBytes());
                ((ByteBuf) msg).release();
            }
        });
        bulk.config().setAutoRead(true);
        bulk.writeAndFlush(Unpooled.buffer(8).writeLong(Long.MAX_VALUE / 2));
        Thread.sleep(2000);
        link.up.lateness();
        long g0 = got.get();
        long t0 = System.nanoTime();
        long[] one = TunnelBench.smallRoundTrips(echoOpen.call(), small);
        String lateOne = link.up.lateness() + "; " + link.down.lateness();
        List<Channel> four = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            four.add(echoOpen.call());
        }
        List<long[]> perStream = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<long[]>> fs = new ArrayList<>();
            for (Channel ch : four) {
                fs.add(ex.submit(() -> TunnelBench.smallRoundTrips(ch, Math.max(1, small / 4))));
            }
            for (Future<long[]> f : fs) {
                perStream.add(f.get());
            }
        }
        long[] all = perStream.stream().flatMapToLong(java.util.Arrays::stream).toArray();
        List<Long> setupTimes = new ArrayList<>();
        if (setups) {
            for (int i = 0; i < 30; i++) {
                long s0 = System.nanoTime();
                Channel ch = echoOpen.call();
                setupTimes.add(System.nanoTime() - s0);
                ch.close().sync();
            }
        }
        double rate = (got.get() - g0) / ((System.nanoTime() - t0) / 1e9) / 1e6;
        boolean running = bulk.isActive();
        bulk.close().sync();
        Thread.sleep(1500); // let the link drain before the next test
        double rtt = 2 * delayMs;
        System.out.printf("RESULT %s beside a bulk download (%.2f MB/s = %.1f Mbit/s meanwhile, still running: %s), RTT %.0f ms:%n",
                name, rate, rate * 8, running, rtt);
        System.out.printf("RESULT   %s 1 stream x%d sequential 100 B exchanges: p50 %.1f ms, p99 %.1f ms (%.2f RTT), max %.1f ms%n",
                name, one.length, TunnelBench.pct(one, 50), TunnelBench.pct(one, 99), TunnelBench.pct(one, 99) / rtt,
                TunnelBench.pct(one, 100));
        StringBuilder p50s = new StringBuilder();
        for (long[] r : perStream) {
            p50s.append(String.format(" %.0f", TunnelBench.pct(r, 50)));
        }
        System.out.printf("RESULT   %s 4 streams at once x%d each: p50 %.1f ms, p99 %.1f ms (%.2f RTT), max %.1f ms; per-stream p50 ms:%s%n",
                name, perStream.get(0).length, TunnelBench.pct(all, 50), TunnelBench.pct(all, 99),
                TunnelBench.pct(all, 99) / rtt, TunnelBench.pct(all, 100), p50s);
        if (!setupTimes.isEmpty()) {
            long[] s = setupTimes.stream().mapToLong(Long::longValue).toArray();
            System.out.printf("RESULT   %s stream set-up x%d: p50 %.1f ms, p99 %.1f ms%n",
                    name, s.length, TunnelBench.pct(s, 50), TunnelBench.pct(s, 99));
        }
        System.out.printf("  emulator lag during the 1-stream run: %s%n", lateOne);
        return new double[] {TunnelBench.pct(one, 50), TunnelBench.pct(one, 99), TunnelBench.pct(all, 50), TunnelBench.pct(all, 99)};
    }
}
