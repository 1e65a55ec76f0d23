package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** A live browser session's open CDP relay WebSocket ends within 1 s of a suspension or a lease end (real admin API, real Chromium). */
class RelayAccessEndTest {
    static BrowserFixture fx;

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(4) : new BrowserFixture(4);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    /** An upgraded relay WebSocket, left open. */
    static Socket openRelay(BrowserFixture.Live s) throws IOException {
        return openRelay(s, fx.gateway.httpPort());
    }

    static Socket openRelay(BrowserFixture.Live s, int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        String req = "GET /cdp/" + s.id() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer " + s.token() + "\r\n\r\n";
        socket.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).isNotEqualTo(-1);
            head.write(b);
        }
        assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101");
        return socket;
    }

    /** True when the gateway ends the connection within one second (frames it still sends are skipped). */
    static boolean endsWithinASecond(Socket s) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        byte[] buf = new byte[4096];
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) left);
            try {
                if (s.getInputStream().read(buf) == -1) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }

    @Test
    void suspendingTheCustomerEndsItsOpenRelayWithinASecond() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        try (Socket relay = openRelay(s)) {
            var r = fx.call("POST", "/admin/v1/customers/" + t.customer() + "/suspend", fx.operatorKey, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(endsWithinASecond(relay)).isTrue();
        }
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 403").contains("\"error\":\"lease_inactive\"");
    }

    @Test
    void endingTheLeaseEndsItsOpenRelayWithinASecond() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{}");
        try (Socket relay = openRelay(s)) {
            var r = fx.call("POST", "/admin/v1/leases/" + t.lease() + "/end", fx.operatorKey, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(endsWithinASecond(relay)).isTrue();
        }
        assertThat(fx.wsUpgrade("/cdp/" + s.id(), s.token())).startsWith("HTTP/1.1 4");
    }

    /**
     * Issue 12: a relay WebSocket open on a second replica (same database, same host) ends within a second of a
     * suspension or a lease end made through the first; that replica hears of it only through its access poll.
     */
    @Test
    void aSuspensionOrLeaseEndThroughOneReplicaEndsTheRelayOnAnother() throws Exception {
        try (com.aimlib.gateway.Gateway other = com.aimlib.gateway.Gateway.start(
                com.aimlib.gateway.GatewayConfig.builder().ephemeralPorts().build(), fx.db, fx.box)) {
            for (String what : java.util.List.of("suspend", "end")) {
                BrowserFixture.Tenant t = fx.tenant();
                BrowserFixture.Live s = fx.ready(t, "{}");
                try (Socket relay = openRelay(s, other.httpPort())) {
                    String path = what.equals("suspend") ? "/admin/v1/customers/" + t.customer() + "/suspend"
                            : "/admin/v1/leases/" + t.lease() + "/end";
                    var r = fx.call("POST", path, fx.operatorKey, null);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    assertThat(endsWithinASecond(relay)).as(what + " through the other replica").isTrue();
                }
            }
        }
    }
}
