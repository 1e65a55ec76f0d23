package com.aimlib.gateway.replicas;

import static com.aimlib.gateway.rotation.RotationFixture.curl;
import static com.aimlib.gateway.rotation.RotationFixture.httpProxy;
import static com.aimlib.gateway.rotation.RotationFixture.socks;
import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture;
import com.aimlib.gateway.rotation.RotationFixture.Device;
import com.aimlib.gateway.rotation.RotationFixture.Tenant;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proxy connections arriving at a replica that does not hold the device's tunnel: two gateways on one embedded
 * PostgreSQL, a real agent dialling only replica A (its binding 127.0.0.2, so the what-is-my-IP origin tells
 * whether traffic left through the device), curl through replica B's SOCKS5 and HTTP proxy ports, and a raw
 * SOCKS5 connection moving 24 MiB each way through B to an echo server.
 */
class ProxyRoutingReplicasTest {
    static final AgentSettings AGENT = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
    static Database db;
    static SecretBox box;
    static Gateway a;
    static Gateway b;
    static RotationFixture fx;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        a = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        b = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        fx = new RotationFixture(db, new Accounts(db, box));
    }

    @AfterAll
    static void stop() throws Exception {
        fx.close();
        b.close();
        a.close();
        db.close();
    }

    @Test
    void socks5AndHttpProxyConnectionsThroughTheReplicaWithoutTheTunnelReachTheDevice() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        try (Agent ignored = fx.agent(a, d, AGENT, null, null)) {
            assertThat(b.tunnels().online(d.id())).isFalse();
            long before = b.routedStreams().routed();

            RotationFixture.Curl viaSocks = curl("-x", socks(b, p), fx.whatIsMyIpUrl());
            assertThat(viaSocks.exit()).as(viaSocks.err()).isZero();
            assertThat(viaSocks.out()).isEqualTo("127.0.0.2");

            RotationFixture.Curl viaHttp = curl("-x", httpProxy(b, p), fx.whatIsMyIpUrl());
            assertThat(viaHttp.exit()).as(viaHttp.err()).isZero();
            assertThat(viaHttp.out()).isEqualTo("127.0.0.2");

            RotationFixture.Curl viaConnect = curl("-p", "-x", httpProxy(b, p), fx.whatIsMyIpUrl());
            assertThat(viaConnect.exit()).as(viaConnect.err()).isZero();
            assertThat(viaConnect.out()).isEqualTo("127.0.0.2");

            assertThat(b.routedStreams().routed() - before).as("streams B routed through A").isGreaterThanOrEqualTo(3);

            // 24 MiB each way through B (enough to back both directions up): the echo comes back whole; then a
            // half-close travels through both replicas to the echo server, whose close comes back as end-of-stream.
            byte[] payload = new byte[24 << 20];
            new Random(7).nextBytes(payload);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), b.socksPort())) {
                s.setSoTimeout(30_000);
                assertThat(socksConnect(s, p, fx.echoPort())).isZero();
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        s.getOutputStream().write(payload);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                byte[] back = s.getInputStream().readNBytes(payload.length);
                writer.join();
                assertThat(back.length).isEqualTo(payload.length);
                assertThat(Arrays.equals(back, payload)).isTrue();
                s.shutdownOutput();
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void aDeviceNoReplicaHoldsIsRefusedTheSameWayOnBoth() throws Exception {
        Tenant t = fx.tenant();
        Device d = fx.device("127.0.0.2");
        Accounts.Proxy p = fx.lease(t, d);
        int onA;
        int onB;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), a.socksPort())) {
            s.setSoTimeout(30_000);
            onA = socksConnect(s, p, fx.echoPort());
        }
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), b.socksPort())) {
            s.setSoTimeout(30_000);
            onB = socksConnect(s, p, fx.echoPort());
        }
        assertThat(onA).isNotZero();
        assertThat(onB).isEqualTo(onA);
    }

    @Test
    void thePeerLinkRefusesALineNotSignedWithTheServerKey() throws Exception {
        PeerLink forged = new PeerLink(Secrets.randomBytes(32), java.time.Clock.systemUTC());
        Device d = fx.device("127.0.0.2");
        try (Agent ignored = fx.agent(a, d, AGENT, null, null); Socket s = new Socket(InetAddress.getLoopbackAddress(), a.peerPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((forged.request(d.id(), "127.0.0.1", fx.echoPort()) + "\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ERR unauthorized\n");
        }
        // A correctly signed but stale line is refused too.
        PeerLink late = new PeerLink(box.derive("aimlib peer link v1"),
                java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofMinutes(-5)));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), a.peerPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((late.request(d.id(), "127.0.0.1", fx.echoPort()) + "\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ERR unauthorized\n");
        }
    }

    /** A SOCKS5 handshake with the proxy's credentials and a CONNECT to 127.0.0.1:port; answers REP. */
    static int socksConnect(Socket s, Accounts.Proxy p, int port) throws Exception {
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(new byte[] {5, 1, 2});
        assertThat(in.readNBytes(2)).containsExactly(5, 2);
        byte[] u = p.username().getBytes(StandardCharsets.UTF_8);
        byte[] pw = p.password().getBytes(StandardCharsets.UTF_8);
        byte[] auth = new byte[3 + u.length + pw.length];
        auth[0] = 1;
        auth[1] = (byte) u.length;
        System.arraycopy(u, 0, auth, 2, u.length);
        auth[2 + u.length] = (byte) pw.length;
        System.arraycopy(pw, 0, auth, 3 + u.length, pw.length);
        out.write(auth);
        assertThat(in.readNBytes(2)).containsExactly(1, 0);
        out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        byte[] head = in.readNBytes(4);
        int len = head[3] == 1 ? 4 : head[3] == 4 ? 16 : in.readUnsignedByte();
        in.readNBytes(len + 2);
        return head[1] & 0xff;
    }
}
