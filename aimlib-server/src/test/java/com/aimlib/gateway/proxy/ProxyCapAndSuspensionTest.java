package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.api.ApiClient;
import com.aimlib.gateway.proxy.ProxyClients.Socks;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exact usage at the cap and suspension / lease end, end to end: client → gateway proxy front → HTTP/2
 * tunnel → real agent → loopback origin, driven through the real admin API.
 */
class ProxyCapAndSuspensionTest {
    static final long SLACK = 64 * 1024;
    static Database db;
    static Gateway gateway;
    static Accounts accounts;
    static LocalServers origin;
    static Agent agent;
    static ApiClient api;
    static String op;
    static final List<Accounts.Device> devices = new ArrayList<>();
    /** The server key both replicas share (they unseal the same proxy passwords). */
    static byte[] key;

    static byte[] secretKey() {
        return key.clone();
    }

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        key = Secrets.randomBytes(32);
        SecretBox box = new SecretBox(key);
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        accounts = new Accounts(db, box);
        api = new ApiClient(gateway);
        op = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
        origin = new LocalServers();
        List<DeviceConfig> configs = new ArrayList<>();
        AgentStore agents = new AgentStore(db);
        for (int i = 0; i < 4; i++) {
            Accounts.Device d = accounts.createDevice("capped-" + i + "-" + UUID.randomUUID(), "local", null, 1, null);
            devices.add(d);
            configs.add(new DeviceConfig(d.id(), agents.mintToken(d.id()).orElseThrow().token(), "127.0.0.1", "TestCarrier", null, null, 2));
        }
        agent = Agent.start("127.0.0.1", gateway.tunnelPort(), false, configs,
                AgentSettings.defaults().withEgress(EgressPolicy.parse("127.0.0.0/8")), 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!devices.stream().allMatch(d -> gateway.tunnels().online(d.id())) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(devices).allMatch(d -> gateway.tunnels().online(d.id()));
    }

    @AfterAll
    static void stop() throws Exception {
        agent.close();
        gateway.close();
        origin.close();
        db.close();
    }

    record Leased(UUID customerId, UUID deviceId, UUID leaseId, String user, String password) {
    }

    static Leased lease(int device, String name) {
        var customer = accounts.createCustomer(name + "-" + UUID.randomUUID(), 1);
        var lease = accounts.createLease(customer.id(), devices.get(device).id(), null, "socks5");
        var proxy = accounts.proxyForLease(lease.id()).orElseThrow();
        return new Leased(customer.id(), devices.get(device).id(), lease.id(), proxy.username(), proxy.password());
    }

    static long storedUsage(UUID deviceId) {
        return db.jdbi().withHandle(h -> h.createQuery(
                        "SELECT COALESCE(SUM(bytes_up + bytes_down), 0) FROM device_usage WHERE device_id = :d")
                .bind("d", deviceId).mapTo(Long.class).one());
    }

    static JsonNode patchCap(UUID deviceId, String value) throws Exception {
        var r = api.send("PATCH", "/admin/v1/devices/" + deviceId, op, "{\"monthly_cap_bytes\":" + value + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ApiClient.json(r);
    }

    /**
     * Reads the never-ending byte source through SOCKS5 until the gateway ends the connection; returns the
     * bytes received (0 when the connection was refused because another one spent the cap first).
     */
    static long drainSource(Leased l) throws IOException {
        try (Socks s = new Socks(gateway.socksPort())) {
            int reply = s.open(l.user(), l.password(), origin.source.getLocalPort());
            if (reply == 2) {
                return 0;
            }
            assertThat(reply).isZero();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            InputStream in = s.input();
            for (int n; (n = in.read(buf)) != -1; ) {
                total += n;
            }
            return total;
        }
    }

    @Test
    void aCapHitBillsExactlyWhatTheClientReceivedAndRepeatedHitsAddNothing() throws Exception {
        Leased l = lease(0, "cap");
        long cap = 3_000_000;
        patchCap(l.deviceId(), Long.toString(cap));
        long received = drainSource(l);
        assertThat(received).isBetween(cap - SLACK, cap);
        ProxyFront front = gateway.proxyFront();
        front.flushUsage();
        assertThat(storedUsage(l.deviceId())).isEqualTo(received).isEqualTo(front.budget(l.deviceId()).used());

        // Hit the cap again and again, four connections at a time: each round bills only what arrived.
        long total = received;
        for (int round = 1; round <= 3; round++) {
            cap += 2_000_000;
            patchCap(l.deviceId(), Long.toString(cap));
            List<CompletableFuture<Long>> parallel = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                parallel.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return drainSource(l);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (CompletableFuture<Long> f : parallel) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            front.flushUsage();
            long stored = storedUsage(l.deviceId());
            assertThat(stored).as("round %d", round).isEqualTo(total).isEqualTo(front.budget(l.deviceId()).used());
            assertThat(stored).as("round %d", round).isBetween(cap - 4 * SLACK, cap);
        }
        // A spent cap refuses new connections with the documented SOCKS5 reply.
        assertThat(front.budget(l.deviceId()).spent()).isTrue();
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(l.user(), l.password(), origin.source.getLocalPort())).isEqualTo(2);
        }
    }

    @Test
    void aNullCapInThePatchClearsItAndTrafficFlowsAgain() throws Exception {
        Leased l = lease(1, "uncap");
        patchCap(l.deviceId(), "1000000");
        long received = drainSource(l);
        assertThat(received).isBetween(1_000_000 - SLACK, 1_000_000L);
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(l.user(), l.password(), origin.source.getLocalPort())).isEqualTo(2);
        }
        // Absent leaves the cap alone; explicit null clears it, in the database and in the live budget at once.
        var untouched = api.send("PATCH", "/admin/v1/devices/" + l.deviceId(), op, "{\"carrier\":\"Other\"}");
        assertThat(ApiClient.json(untouched).get("monthly_cap_bytes").asLong()).isEqualTo(1_000_000);
        JsonNode cleared = patchCap(l.deviceId(), "null");
        assertThat(cleared.get("monthly_cap_bytes").isNull()).isTrue();
        assertThat(accounts.device(l.deviceId()).orElseThrow().monthlyCapBytes()).isNull();
        assertThat(gateway.proxyFront().budget(l.deviceId()).cap()).isEqualTo(DeviceBudget.UNLIMITED);
        try (Socks s = new Socks(gateway.socksPort())) {
            assertThat(s.open(l.user(), l.password(), origin.source.getLocalPort())).isZero();
            assertThat(s.input().readNBytes(5_000_000)).hasSize(5_000_000);
        }
    }

    /** An HTTP CONNECT to the echo server; the socket is open and relaying when this returns. */
    static Socket connectTunnel(Leased l) throws IOException {
        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.httpProxyPort());
        s.setSoTimeout(10_000);
        s.getOutputStream().write(connectRequest(l).getBytes(StandardCharsets.US_ASCII));
        String head = readHead(s.getInputStream());
        assertThat(head).startsWith("HTTP/1.1 200");
        return s;
    }

    static String connectRequest(Leased l) {
        String target = "127.0.0.1:" + origin.echo.getLocalPort();
        String basic = Base64.getEncoder().encodeToString((l.user() + ":" + l.password()).getBytes(StandardCharsets.UTF_8));
        return "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: Basic " + basic + "\r\n\r\n";
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** A refused CONNECT: the status line and the JSON body. */
    static String refusedConnect(Leased l) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), gateway.httpProxyPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(connectRequest(l).getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** True when the peer ends the connection within {@code limit} (whatever it still delivers first). */
    static boolean endsWithin(Socket s, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        InputStream in = s.getInputStream();
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) left);
            try {
                if (in.read() == -1) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }

    static void assertLive(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        s.getOutputStream().write('x');
        assertThat(s.getInputStream().read()).isEqualTo('x');
    }

    @Test
    void suspendingTheCustomerClosesOpenConnectionsWithinASecondAndReactivatingRestoresAccess() throws Exception {
        Leased l = lease(2, "suspended");
        openConnectionsEndWithinASecondOf(l, "/admin/v1/customers/" + l.customerId() + "/suspend");

        var back = api.post("/admin/v1/customers/" + l.customerId() + "/reactivate", op, null);
        assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
        try (Socks socks = new Socks(gateway.socksPort()); Socket connect = connectTunnel(l)) {
            assertThat(socks.open(l.user(), l.password(), origin.echo.getLocalPort())).isZero();
            assertLive(socks.socket);
            assertLive(connect);
        }
    }

    @Test
    void endingTheLeaseClosesOpenConnectionsWithinASecondAndRefusesNewOnes() throws Exception {
        Leased l = lease(3, "ended");
        openConnectionsEndWithinASecondOf(l, "/admin/v1/leases/" + l.leaseId() + "/end");
    }

    /**
     * Opens a SOCKS5 and an HTTP CONNECT connection of {@code l}, posts the operator call {@code path}, and
     * checks both end within a second and new ones are refused as lease_inactive.
     */
    private void openConnectionsEndWithinASecondOf(Leased l, String path) throws Exception {
        try (Socks socks = new Socks(gateway.socksPort()); Socket connect = connectTunnel(l)) {
            assertThat(socks.open(l.user(), l.password(), origin.echo.getLocalPort())).isZero();
            assertLive(socks.socket);
            assertLive(connect);
            var r = api.post(path, op, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(endsWithin(socks.socket, Duration.ofSeconds(1))).isTrue();
            assertThat(endsWithin(connect, Duration.ofSeconds(1))).isTrue();
        }
        try (Socks again = new Socks(gateway.socksPort())) {
            assertThat(again.open(l.user(), l.password(), origin.echo.getLocalPort())).isEqualTo(2);
        }
        assertThat(refusedConnect(l)).startsWith("HTTP/1.1 403").contains("\"error\":\"lease_inactive\"");
    }

    /**
     * Issue 12: two replicas on one database. A suspension and a lease end made through this replica end the open
     * connections another replica carries within a second, and that replica refuses new ones: each replica re-checks
     * the leases it serves every {@code ProxyFront.Settings.pollMillis} (250 ms).
     */
    @Test
    void aSuspensionOrLeaseEndThroughOneReplicaStopsTrafficOnAnotherWithinASecond() throws Exception {
        try (DirectDeviceStreams direct = new DirectDeviceStreams();
             Gateway other = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db,
                     new SecretBox(secretKey()), direct)) {
            for (String what : List.of("suspend", "end")) {
                // A device only the other replica serves (its streams leave directly from this machine).
                var d = accounts.createDevice("replica-" + what + "-" + UUID.randomUUID(), "local", null, 1, null);
                var customer = accounts.createCustomer("replica-" + what + "-" + UUID.randomUUID(), 1);
                var lease = accounts.createLease(customer.id(), d.id(), null, "socks5");
                var proxy = accounts.proxyForLease(lease.id()).orElseThrow();
                Leased l = new Leased(customer.id(), d.id(), lease.id(), proxy.username(), proxy.password());
                try (Socks socks = new Socks(other.socksPort())) {
                    assertThat(socks.open(l.user(), l.password(), origin.echo.getLocalPort())).isZero();
                    assertLive(socks.socket);
                    String path = what.equals("suspend") ? "/admin/v1/customers/" + l.customerId() + "/suspend"
                            : "/admin/v1/leases/" + l.leaseId() + "/end";
                    var r = api.post(path, op, null);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(endsWithin(socks.socket, Duration.ofSeconds(1))).as(what + " through the other replica").isTrue();
                }
                try (Socks again = new Socks(other.socksPort())) {
                    assertThat(again.open(l.user(), l.password(), origin.echo.getLocalPort())).as(what).isEqualTo(2);
                }
            }
        }
    }
}
