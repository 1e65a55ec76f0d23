package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The unified port's first-byte detector through {@link EmbeddedChannel}: every possible first byte, valid and
 * mutated handshakes of both protocols fed one byte at a time or in random chunks, a TLS ClientHello, SOCKS4, an
 * empty connection closed or half-closed. Each case must end relaying, answered and closed, or closed when the
 * handshake deadline passes — never still open — with every input buffer released and no leak reported.
 */
class ProtocolDetectFuzzTest {
    static final long SEED = 20261128L;
    static final int TARGET_CASES = 3_000;
    static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(8);

    static Database db;
    static ProxyConnector connector;
    static ProxyProtocolDetector.Meters meters;
    static SimpleMeterRegistry registry;
    static Accounts.Proxy proxy;
    static final List<EmbeddedChannel> streams = new ArrayList<>();
    static ListAppender<ILoggingEvent> leaks;
    static ResourceLeakDetector.Level previousLevel;

    @BeforeAll
    static void setUp() {
        previousLevel = ResourceLeakDetector.getLevel();
        leaks = new ListAppender<>();
        leaks.start();
        ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Accounts accounts = new Accounts(db, box);
        var customer = accounts.createCustomer("detect-fuzz", 1);
        var device = accounts.createDevice("detect-device", "local", null, 1, null);
        var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        ProxyAccess access = new ProxyAccess(new ProxyStore(db, box), Clock.systemUTC(), Runnable::run);
        DeviceStreams devices = (deviceId, host, port) -> {
            EmbeddedChannel stream = new EmbeddedChannel();
            streams.add(stream);
            return CompletableFuture.completedFuture(stream);
        };
        registry = new SimpleMeterRegistry();
        connector = new ProxyConnector(access, devices, 1_000, registry);
        meters = ProxyProtocolDetector.Meters.register(registry);
    }

    @AfterAll
    static void tearDown() {
        ResourceLeakDetector.setLevel(previousLevel);
        db.close();
    }

    /** What one case left behind. */
    record Outcome(boolean relaying, boolean open, byte[] written) {
    }

    @Test
    void socks5AndHttpHandshakesReachTheRelayWhateverTheChunking() throws Exception {
        for (byte[] valid : List.of(socksHandshake(), httpConnect(), httpForward())) {
            Outcome whole = runCase(valid, new Random(1), Integer.MAX_VALUE, false);
            assertThat(whole.relaying()).as(new String(valid, StandardCharsets.ISO_8859_1)).isTrue();
            Outcome slow = runCase(valid, new Random(1), 1, false);
            assertThat(slow.relaying()).as("one byte at a time: %s", new String(valid, StandardCharsets.ISO_8859_1)).isTrue();
        }
    }

    @Test
    void everyOtherFirstByteIsRefusedAtOnce() throws Exception {
        for (int first = 0; first < 256; first++) {
            if (first == 5 || (first >= 'A' && first <= 'Z')) {
                continue;
            }
            byte[] input = {(byte) first, 1, 0, 80, 127, 0, 0, 1, 0};
            Outcome o = runCase(input, new Random(first), Integer.MAX_VALUE, false, false);
            assertThat(o.open()).as("first byte 0x%02x, before any deadline", first).isFalse();
            assertThat(o.relaying()).isFalse();
            switch (first) {
                case 4 -> assertThat(o.written()).as("SOCKS4 gets its own refusal").containsExactly(0, 91, 0, 0, 0, 0, 0, 0);
                case 0x16 -> assertThat(o.written()).as("TLS gets a handshake_failure alert").containsExactly(0x15, 3, 1, 0, 2, 2, 40);
                default -> assertThat(o.written()).isEmpty();
            }
        }
        assertThat(registry.get("aimlib.proxy.detect.refused").tag("first", "other").counter().count()).isGreaterThan(200);
    }

    @Test
    void aTlsClientHelloIsAnsweredWithAnAlertAndClosed() throws Exception {
        // A real ClientHello's head (curl pointed at https:// on a plain proxy port sends this).
        byte[] hello = ByteBufUtil.decodeHexDump("16030100f4010000f00303" + "00".repeat(32) + "20" + "11".repeat(32)
                + "0008130213031301c02f0100007f0000000e000c0000096c6f63616c686f7374");
        Outcome o = runCase(hello, new Random(2), 3, false, false);
        assertThat(o.open()).isFalse();
        assertThat(o.written()).containsExactly(0x15, 3, 1, 0, 2, 2, 40);
    }

    @Test
    void anEmptyConnectionIsClosedByItsEndOrByTheDeadline() {
        EmbeddedChannel closedByClient = channel();
        closedByClient.close();
        assertThat(closedByClient.isOpen()).isFalse();
        closedByClient.finishAndReleaseAll();

        EmbeddedChannel halfClosed = channel();
        halfClosed.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        halfClosed.runPendingTasks();
        assertThat(halfClosed.isOpen()).as("a client that half-closes before its first byte").isFalse();
        halfClosed.finishAndReleaseAll();

        EmbeddedChannel silent = channel();
        silent.advanceTimeBy(9, TimeUnit.SECONDS);
        silent.runScheduledPendingTasks();
        assertThat(silent.isOpen()).as("still within the 10 s deadline").isTrue();
        silent.advanceTimeBy(2, TimeUnit.SECONDS);
        silent.runScheduledPendingTasks();
        assertThat(silent.isOpen()).as("past the deadline without a byte").isFalse();
        silent.finishAndReleaseAll();
    }

    @Test
    void theFrontGetsWhatIsLeftOfTheDeadlineNotAFreshOne() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.copiedBuffer("GET http://a/ HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        assertThat(out).as("408 after the 10 s in all").isNotNull();
        assertThat(out.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 408");
        out.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void mutatedHandshakesOfBothProtocolsAndRandomBytesNeverHangOrLeak() throws Exception {
        List<byte[]> seeds = List.of(socksHandshake(), httpConnect(), httpForward(),
                new byte[] {4, 1, 0, 80, 127, 0, 0, 1, 0}, new byte[] {0x16, 3, 1, 0, 5, 1, 0, 0, 1, 3});
        Random random = new Random(SEED);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int cases = 0;
        int relayed = 0;
        while (System.nanoTime() < deadline && cases < TARGET_CASES) {
            byte[] input = random.nextInt(5) == 0 ? randomBytes(random) : ProxyParserFuzzTest.mutate(seeds.get(random.nextInt(seeds.size())), random);
            ResourceLeakDetector.setLevel(cases < 50 ? ResourceLeakDetector.Level.PARANOID : ResourceLeakDetector.Level.SIMPLE);
            int chunk = random.nextInt(4) == 0 ? 1 : 1 + random.nextInt(Math.max(1, input.length / 2));
            Outcome o = runCase(input, random, chunk, random.nextInt(10) == 0);
            if (o.relaying()) {
                relayed++;
            }
            cases++;
        }
        assertThat(cases).isGreaterThanOrEqualTo(1_000);
        assertThat(relayed).as("the fuzz must also get through to the device").isBetween(10, cases - 300);
        assertNoLeaks();
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(48)];
        random.nextBytes(b);
        return b;
    }

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
                ProxyProtocolDetector.install(c.pipeline(), connector, 10_000, meters);
            }
        });
    }

    private static Outcome runCase(byte[] input, Random random, int maxChunk, boolean halfClose) {
        return runCase(input, random, maxChunk, halfClose, true);
    }

    /** Feeds {@code input} in chunks of 1..maxChunk bytes, then (when {@code expire}) lets the deadline pass. */
    private static Outcome runCase(byte[] input, Random random, int maxChunk, boolean halfClose, boolean expire) {
        EmbeddedChannel ch = channel();
        List<ByteBuf> fed = new ArrayList<>();
        int at = 0;
        while (at < input.length && ch.isOpen()) {
            int n = Math.min(input.length - at, maxChunk == 1 ? 1 : 1 + random.nextInt(Math.min(maxChunk, input.length)));
            ByteBuf b = Unpooled.copiedBuffer(input, at, n);
            fed.add(b);
            ch.writeInbound(b);
            ch.runPendingTasks();
            ch.checkException();
            at += n;
        }
        if (halfClose && ch.isOpen()) {
            ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            ch.runPendingTasks();
        }
        if (expire) {
            ch.advanceTimeBy(11, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
        }
        ch.checkException();
        boolean relaying = ch.pipeline().get("relay") != null;
        boolean open = ch.isOpen();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                written.writeBytes(ByteBufUtil.getBytes(b));
            }
            io.netty.util.ReferenceCountUtil.release(o);
        }
        if (expire) {
            assertThat(relaying || !open).as("input %s", Arrays.toString(input)).isTrue();
        }
        ch.finishAndReleaseAll();
        for (EmbeddedChannel s : streams) {
            s.finishAndReleaseAll();
        }
        streams.clear();
        for (ByteBuf b : fed) {
            assertThat(b.refCnt()).as("input %s", Arrays.toString(input)).isZero();
        }
        return new Outcome(relaying, open, written.toByteArray());
    }

    private static byte[] socksHandshake() {
        byte[] user = proxy.username().getBytes(StandardCharsets.US_ASCII);
        byte[] pass = proxy.password().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {5, 1, 2, 1, (byte) user.length});
        out.writeBytes(user);
        out.write(pass.length);
        out.writeBytes(pass);
        out.writeBytes(new byte[] {5, 1, 0, 3, 9});
        out.writeBytes("localhost".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {0, 80});
        return out.toByteArray();
    }

    private static String credentials() {
        return "Proxy-Authorization: Basic " + Base64.getEncoder().encodeToString(
                (proxy.username() + ":" + proxy.password()).getBytes(StandardCharsets.UTF_8)) + "\r\n";
    }

    private static byte[] httpConnect() {
        return ("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n" + credentials() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] httpForward() {
        return ("GET http://localhost:8080/a HTTP/1.1\r\nHost: localhost:8080\r\n" + credentials() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void assertNoLeaks() throws InterruptedException {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (int k = 0; k < 200; k++) {
                io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(16).release();
            }
        }
        assertThat(leaks.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("LEAK"));
    }
}
