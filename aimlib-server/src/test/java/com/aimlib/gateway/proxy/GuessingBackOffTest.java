package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.net.tunnel.TunnelProtocol;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guessing proxy passwords and agent tokens from one loopback address (127.0.0.2) slows to a crawl,
 * while the right credential from another address (127.0.0.3) for the same user is answered at once.
 */
class GuessingBackOffTest {
    static final int ATTACKERS = 8;
    static final long ATTACK_MILLIS = 6_000;
    static Database db;
    static Gateway gateway;
    static Accounts accounts;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        db.close();
    }

    static Socket from(String source, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Greeting and RFC 1929 exchange from {@code source}; returns the auth status (0 = success, -1 = closed). */
    static int socksLogin(String source, String user, String password) throws IOException {
        try (Socket s = from(source, gateway.socksPort())) {
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(new byte[] {5, 1, 2});
            if (in.readNBytes(2).length < 2) {
                return -1;
            }
            byte[] u = user.getBytes(StandardCharsets.UTF_8);
            byte[] p = password.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(1);
            b.write(u.length);
            b.write(u);
            b.write(p.length);
            b.write(p);
            out.write(b.toByteArray());
            byte[] r = in.readNBytes(2);
            return r.length < 2 ? -1 : r[1] & 0xff;
        }
    }

    /** A tunnel upgrade from {@code source}; returns the HTTP status. */
    static int tunnelUpgrade(String source, UUID device, String token) throws IOException {
        try (Socket s = from(source, gateway.tunnelPort())) {
            String req = "GET " + TunnelProtocol.PATH + " HTTP/1.1\r\nHost: gateway\r\nUpgrade: " + TunnelProtocol.UPGRADE
                    + "\r\nConnection: Upgrade\r\n" + TunnelProtocol.DEVICE_HEADER + ": " + device
                    + "\r\nAuthorization: Bearer " + token + "\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            return status(s.getInputStream());
        }
    }

    /** An HTTP proxy CONNECT from {@code source}; returns the HTTP status. */
    static int httpConnect(String source, String user, String password) throws IOException {
        try (Socket s = from(source, gateway.httpProxyPort())) {
            String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic "
                    + basic + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return status(s.getInputStream());
        }
    }

    static int status(InputStream in) throws IOException {
        byte[] line = in.readNBytes(12);
        return line.length < 12 ? -1 : Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
    }

    interface Attempt {
        void run() throws IOException;
    }

    /** Completion times (ms since the start) of attempts from {@link #ATTACKERS} threads, until 300 or the time is up. */
    static List<Long> attack(Attempt attempt, Runnable midway) throws InterruptedException {
        ConcurrentLinkedQueue<Long> done = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger started = new AtomicInteger();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < ATTACKERS; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (started.incrementAndGet() <= 300 && System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(ATTACK_MILLIS)) {
                    try {
                        attempt.run();
                    } catch (IOException | AssertionError e) {
                        failures.add(e);
                        return;
                    }
                    done.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                }
            }));
        }
        Thread.sleep(ATTACK_MILLIS / 2);
        midway.run();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).as("every attempt answered with the normal refusal").isEmpty();
        return new ArrayList<>(done);
    }

    static long timed(Attempt a) throws IOException {
        long t = System.nanoTime();
        a.run();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
    }

    @Test
    void wrongProxyPasswordsSlowDownWhileTheRightOneFromElsewhereIsPrompt() throws Exception {
        var customer = accounts.createCustomer("guessed", 1);
        var device = accounts.createDevice("guessed-" + UUID.randomUUID(), "local", null, 1, null);
        var proxy = accounts.proxyForLease(accounts.createLease(customer.id(), device.id(), null, "socks5").id()).orElseThrow();
        List<Long> promptLogins = new ArrayList<>();
        // One right login first, so the timed ones below measure the throttle, not a cold credential lookup
        // on a loaded machine.
        assertThat(socksLogin("127.0.0.4", proxy.username(), proxy.password())).isZero();
        List<Long> attempts = attack(() -> assertThat(socksLogin("127.0.0.2", proxy.username(), "wrong-password")).isEqualTo(1), () -> {
            try {
                for (int i = 0; i < 3; i++) {
                    int[] status = new int[1];
                    promptLogins.add(timed(() -> status[0] = socksLogin("127.0.0.3", proxy.username(), proxy.password())));
                    assertThat(status[0]).isZero();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        // Unthrottled this was 300-400 attempts a second; now the first 10 are free and then one check per
        // step (up to 2 s) goes through, the rest are held 2 s and refused unchecked.
        long lateAttempts = attempts.stream().filter(t -> t >= ATTACK_MILLIS / 2).count();
        assertThat(attempts.size()).as("attempts in %d ms", ATTACK_MILLIS).isLessThan(80);
        assertThat(lateAttempts * 1000.0 / (ATTACK_MILLIS / 2)).as("attempts/s in the second half").isLessThan(10);
        // The throttle's shortest hold is 50 ms and a held attempt waits up to 2 s; 500 ms leaves room for a busy
        // 2-core CI machine while still failing if the clean source were held.
        assertThat(promptLogins).allMatch(ms -> ms < 500, "right password from a clean source under 500 ms");

        // The HTTP proxy front shares the back-off: the attacking address is slowed there too.
        assertThat(timed(() -> assertThat(httpConnect("127.0.0.2", proxy.username(), "wrong")).isEqualTo(407))).isGreaterThan(500);
    }

    @Test
    void guessedHttpProxyPasswordsAreSlowedToo() throws Exception {
        var customer = accounts.createCustomer("guessed-http", 1);
        var device = accounts.createDevice("guessed-http-" + UUID.randomUUID(), "local", null, 1, null);
        var proxy = accounts.proxyForLease(accounts.createLease(customer.id(), device.id(), null, "http").id()).orElseThrow();
        long last = 0;
        for (int i = 0; i < 16; i++) {
            last = timed(() -> assertThat(httpConnect("127.0.0.4", proxy.username(), "wrong")).isEqualTo(407));
        }
        assertThat(last).as("the 16th wrong password in a row").isGreaterThan(500);
        // The right password from an address without failures: authenticated (the device is offline, so 502).
        assertThat(timed(() -> assertThat(httpConnect("127.0.0.5", proxy.username(), proxy.password())).isEqualTo(502))).isLessThan(500);
    }

    @Test
    void wrongAgentTokensSlowDownWhileTheRightOneFromElsewhereIsPrompt() throws Exception {
        var device = accounts.createDevice("token-guessed-" + UUID.randomUUID(), "local", null, 1, null);
        String token = new AgentStore(db).mintToken(device.id()).orElseThrow().token();
        List<Long> prompt = new ArrayList<>();
        List<Long> attempts = attack(() -> assertThat(tunnelUpgrade("127.0.0.2", device.id(), "at_wrong")).isEqualTo(401), () -> {
            try {
                int[] status = new int[1];
                prompt.add(timed(() -> status[0] = tunnelUpgrade("127.0.0.3", device.id(), token)));
                assertThat(status[0]).isEqualTo(101);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        long lateAttempts = attempts.stream().filter(t -> t >= ATTACK_MILLIS / 2).count();
        assertThat(attempts.size()).as("attempts in %d ms", ATTACK_MILLIS).isLessThan(80);
        assertThat(lateAttempts * 1000.0 / (ATTACK_MILLIS / 2)).as("attempts/s in the second half").isLessThan(10);
        assertThat(prompt).allMatch(ms -> ms < 500, "right token from a clean source under 500 ms");
    }
}
