package com.aimlib.gateway.proxy;

import static com.aimlib.gateway.proxy.ProxyClients.curl;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.proxy.ProxyClients.CurlResult;
import com.aimlib.gateway.proxy.ProxyClients.Socks;
import com.aimlib.net.EventLoops;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy front on its own, with a periodic flush too slow to matter: usage reaches the database
 * because {@code close()} writes it, and a lease whose end time passes is closed by the lease poll.
 */
class UsageFlushTest {
    static Database db;
    static SecretBox box;
    static Accounts accounts;
    static DirectDeviceStreams devices;
    static LocalServers origin;
    static EventLoopGroup workers;
    static ExecutorService blocking;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        accounts = new Accounts(db, box);
        devices = new DirectDeviceStreams();
        origin = new LocalServers();
        workers = EventLoops.group(2, "flush-test");
        blocking = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterAll
    static void stop() throws Exception {
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdown();
        devices.close();
        origin.close();
        db.close();
    }

    /** The front's clock: tests move it instead of sleeping until a lease ends. */
    static final class ShiftedClock extends Clock {
        volatile Duration shift = Duration.ZERO;

        @Override
        public Instant instant() {
            return Instant.now().plus(shift);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    static final ShiftedClock clock = new ShiftedClock();

    static ProxyFront front() throws InterruptedException {
        return ProxyFront.start("127.0.0.1", 0, 0, db, box, clock, devices, workers, blocking,
                new ProxyFront.Settings(10_000, 30_000, 1_000, TimeUnit.HOURS.toMillis(1)), new SimpleMeterRegistry());
    }

    @Test
    void closingTheFrontWritesTheUsageCountedSinceTheLastFlush() throws Exception {
        var customer = accounts.createCustomer("flush", 1);
        var device = accounts.createDevice("flush-device", "local", null, 1, null);
        var lease = accounts.createLease(customer.id(), device.id(), null, "http");
        var proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        ProxyFront front = front();
        CurlResult r = curl("-x", "http://" + proxy.username() + ":" + proxy.password() + "@127.0.0.1:" + front.httpPort(),
                "-o", "/dev/null", "http://127.0.0.1:" + origin.http4Port() + "/bytes?n=1000000");
        assertThat(r.exit()).as(r.stderr()).isZero();
        long rowsBeforeClose = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM device_usage WHERE device_id = :d")
                .bind("d", device.id()).mapTo(Long.class).one());
        assertThat(rowsBeforeClose).isZero();
        front.close();
        long down = db.jdbi().withHandle(h -> h.createQuery("SELECT bytes_down FROM leases WHERE id = :l")
                .bind("l", lease.id()).mapTo(Long.class).one());
        assertThat(down).isBetween(1_000_000L, 1_001_000L);
        long deviceDown = db.jdbi().withHandle(h -> h.createQuery("SELECT bytes_down FROM device_usage WHERE device_id = :d")
                .bind("d", device.id()).mapTo(Long.class).one());
        assertThat(deviceDown).isEqualTo(down);
    }

    @Test
    void aLeaseWhoseEndTimePassesIsClosedByThePoll() throws Exception {
        var customer = accounts.createCustomer("expiry", 1);
        var device = accounts.createDevice("expiry-device", "local", null, 1, null);
        var lease = accounts.createLease(customer.id(), device.id(), Instant.now().plus(Duration.ofHours(1)), "socks5");
        var proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        clock.shift = Duration.ZERO;
        try (ProxyFront front = front(); Socks open = new Socks(front.socksPort())) {
            assertThat(open.open(proxy.username(), proxy.password(), origin.echo.getLocalPort())).isZero();
            clock.shift = Duration.ofHours(2);
            long t0 = System.nanoTime();
            assertThat(open.closedByPeer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            try (Socks again = new Socks(front.socksPort())) {
                assertThat(again.open(proxy.username(), proxy.password(), origin.echo.getLocalPort())).isEqualTo(2);
            }
        }
    }
}
