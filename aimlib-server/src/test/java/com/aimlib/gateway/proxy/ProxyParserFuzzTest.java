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
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Seeded mutation fuzzing of both proxy fronts through {@link EmbeddedChannel}: valid handshakes are
 * mutated (flips, inserts, deletes, truncation, duplication, interesting values) and fed in random
 * chunks. Each case must end relaying or closed once the handshake timeout passes, let no exception
 * escape, and leave every input buffer released; paranoid leak detection watches every buffer of the
 * first cases of each run (and Netty's sampling the rest).
 */
class ProxyParserFuzzTest {
    static final long SEED = 20261121L;
    /** Stop at this many cases per front, or at the time budget on a busy machine. */
    static final int TARGET_CASES = 3_000;
    static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(6);
    static final int PARANOID_CASES = 50;

    static Database db;
    static ProxyConnector connector;
    static Accounts.Proxy proxy;
    static final List<EmbeddedChannel> streams = new ArrayList<>();
    static ListAppender<ILoggingEvent> leaks;
    static ResourceLeakDetector.Level previousLevel;
    /** Cases that got through to a device stream: the fuzz must reach past the handshake too. */
    static int relayed;

    @BeforeAll
    static void setUp() {
        previousLevel = ResourceLeakDetector.getLevel();
        leaks = new ListAppender<>();
        leaks.start();
        ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Accounts accounts = new Accounts(db, box);
        var customer = accounts.createCustomer("fuzz", 1);
        var device = accounts.createDevice("fuzz-device", "local", null, 1, null);
        var lease = accounts.createLease(customer.id(), device.id(), null, "socks5");
        proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        // Inline "blocking" executor: the embedded channel's thread is the only thread in these tests.
        ProxyAccess access = new ProxyAccess(new ProxyStore(db, box), Clock.systemUTC(), Runnable::run);
        DeviceStreams devices = (deviceId, host, port) -> {
            EmbeddedChannel stream = new EmbeddedChannel();
            streams.add(stream);
            return CompletableFuture.completedFuture(stream);
        };
        connector = new ProxyConnector(access, devices, 1_000, new SimpleMeterRegistry());
    }

    @AfterAll
    static void tearDown() {
        ResourceLeakDetector.setLevel(previousLevel);
        db.close();
    }

    @Test
    void socksFrontSurvivesMutatedHandshakes() throws Exception {
        byte[] user = proxy.username().getBytes(StandardCharsets.US_ASCII);
        byte[] pass = proxy.password().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream auth = new ByteArrayOutputStream();
        auth.write(new byte[] {5, 2, 0, 2, 1, (byte) user.length});
        auth.write(user);
        auth.write(pass.length);
        auth.write(pass);
        byte[] prefix = auth.toByteArray();
        List<byte[]> seeds = List.of(
                concat(prefix, new byte[] {5, 1, 0, 1, 127, 0, 0, 1, 0, 80}, "GET / HTTP/1.1\r\n\r\n".getBytes()),
                concat(prefix, new byte[] {5, 1, 0, 3, 9}, "localhost".getBytes(), new byte[] {1, (byte) 187}),
                concat(prefix, new byte[] {5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22}),
                concat(prefix, new byte[] {5, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
        int cases = fuzz(seeds, ch -> Socks5FrontHandler.install(ch.pipeline(), connector, 10_000));
        assertThat(cases).isGreaterThanOrEqualTo(1_000);
        assertThat(relayed).isBetween(10, cases - 500);
        assertNoLeaks();
    }

    @Test
    void httpFrontSurvivesMutatedRequests() throws Exception {
        String credentials = "Proxy-Authorization: Basic " + java.util.Base64.getEncoder().encodeToString(
                (proxy.username() + ":" + proxy.password()).getBytes(StandardCharsets.UTF_8)) + "\r\n";
        List<byte[]> seeds = List.of(
                ("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n" + credentials + "\r\n\u0016\u0003\u0001").getBytes(StandardCharsets.ISO_8859_1),
                ("GET http://localhost:8080/a?b=c HTTP/1.1\r\nHost: localhost:8080\r\n" + credentials + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1),
                ("POST http://[::1]/x HTTP/1.1\r\nContent-Length: 5\r\n" + credentials + "\r\nhello").getBytes(StandardCharsets.ISO_8859_1),
                ("POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + credentials + "\r\n5\r\nhello\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        int cases = fuzz(seeds, ch -> HttpProxyFrontHandler.install(ch.pipeline(), connector, 10_000));
        assertThat(cases).isGreaterThanOrEqualTo(1_000);
        assertThat(relayed).isBetween(10, cases - 500);
        assertNoLeaks();
    }

    private static int fuzz(List<byte[]> seeds, Consumer<Channel> install) {
        relayed = 0;
        Random random = new Random(SEED);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int cases = 0;
        while (System.nanoTime() < deadline && cases < TARGET_CASES) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            // Paranoid tracking (a stack trace per buffer access) is slow: it watches the first cases only.
            ResourceLeakDetector.setLevel(cases < PARANOID_CASES ? ResourceLeakDetector.Level.PARANOID : ResourceLeakDetector.Level.SIMPLE);
            runCase(input, random, install);
            cases++;
        }
        return cases;
    }

    private static void runCase(byte[] input, Random random, Consumer<Channel> install) {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
                install.accept(c);
            }
        });
        List<ByteBuf> fed = new ArrayList<>();
        int at = 0;
        while (at < input.length && ch.isOpen()) {
            int n = Math.min(input.length - at, 1 + random.nextInt(Math.max(1, input.length / 2)));
            ByteBuf b = Unpooled.copiedBuffer(input, at, n);
            fed.add(b);
            ch.writeInbound(b);
            ch.runPendingTasks();
            ch.checkException();
            at += n;
        }
        ch.advanceTimeBy(11, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        ch.checkException();
        boolean relaying = ch.pipeline().get("relay") != null;
        if (relaying) {
            relayed++;
        }
        assertThat(relaying || !ch.isOpen()).as("input %s", Arrays.toString(input)).isTrue();
        ch.finishAndReleaseAll();
        for (EmbeddedChannel s : streams) {
            s.finishAndReleaseAll();
        }
        streams.clear();
        for (ByteBuf b : fed) {
            assertThat(b.refCnt()).as("input %s", Arrays.toString(input)).isZero();
        }
    }

    static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            if (b.length == 0) {
                b = new byte[] {(byte) random.nextInt()};
            }
            int i = random.nextInt(b.length);
            b = switch (random.nextInt(7)) {
                case 0 -> {
                    b[i] ^= (byte) (1 << random.nextInt(8));
                    yield b;
                }
                case 1 -> {
                    byte[] interesting = {0, 1, 2, 3, 4, 5, (byte) 0x7f, (byte) 0x80, (byte) 0xff, ':', '\r', '\n', ' '};
                    b[i] = interesting[random.nextInt(interesting.length)];
                    yield b;
                }
                case 2 -> {
                    byte[] junk = new byte[1 + random.nextInt(16)];
                    random.nextBytes(junk);
                    yield concat(Arrays.copyOf(b, i), junk, Arrays.copyOfRange(b, i, b.length));
                }
                case 3 -> concat(Arrays.copyOf(b, i), Arrays.copyOfRange(b, Math.min(b.length, i + 1 + random.nextInt(8)), b.length));
                case 4 -> Arrays.copyOf(b, i);
                case 5 -> {
                    int end = Math.min(b.length, i + 1 + random.nextInt(32));
                    yield concat(Arrays.copyOf(b, end), Arrays.copyOfRange(b, i, b.length));
                }
                default -> {
                    byte[] junk = new byte[random.nextInt(64)];
                    random.nextBytes(junk);
                    yield junk;
                }
            };
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Paranoid detection reports a leak when a tracked buffer is collected unreleased: collect, then track more. */
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
