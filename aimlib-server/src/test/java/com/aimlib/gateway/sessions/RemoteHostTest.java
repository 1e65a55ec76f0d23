package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.host.BrowserHost;
import com.aimlib.host.HostSettings;
import com.aimlib.store.Accounts;
import com.aimlib.store.Secrets;
import com.aimlib.testing.BrowserFixture;
import com.aimlib.testing.BrowserFixture.Live;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A browser host on "another machine" (issue 12): the in-JVM {@link BrowserHost} wired to the gateway only over real
 * HTTP (its reports to {@code /host/v1} with its own credential, the gateway's orders to its API, CDP through its
 * per-session relay endpoint), its bridge chaining to the proxy front with a credential minted for the session.
 */
class RemoteHostTest {
    static BrowserFixture fx;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        fx = BrowserFixture.remote(6);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    static void awaitState(UUID id, String state, Duration within) throws InterruptedException {
        Instant end = Instant.now().plus(within);
        while (Instant.now().isBefore(end) && !state.equals(fx.statusOf(id))) {
            Thread.sleep(20);
        }
        assertThat(fx.statusOf(id)).isEqualTo(state);
    }

    static HttpResponse<String> post(String url, String bearer, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postBytes(String url, String bearer, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String report(String path) {
        return fx.gateway.baseUrl() + "/host/v1" + path;
    }

    static void assertErrorBody(HttpResponse<String> r, int status) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertThat(j.path("error").isTextual()).as(r.body()).isTrue();
        if (status != 404) {
            assertThat(j.path("message").isTextual()).as(r.body()).isTrue();
        }
    }

    @Test
    void aSessionOnARemoteHostIsDrivenByPlaywrightThroughTheGatewayRelayAndTheHostsRelayEndpoint() throws Exception {
        Map<String, Object> row = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT api_url, status, api_secret_enc FROM browser_hosts WHERE id = :id")
                .bind("id", fx.host.id()).mapToMap().one());
        assertThat(row.get("api_url")).isEqualTo(fx.remoteHost.apiUrl());
        assertThat(row.get("status")).isEqualTo("up");
        // the API secret is kept sealed with the server key, not as the host sent it
        assertThat(new String((byte[]) row.get("api_secret_enc"), StandardCharsets.ISO_8859_1)).doesNotContain(fx.remoteHost.apiSecret());
        assertThat(fx.box.open((byte[]) row.get("api_secret_enc"))).isEqualTo(fx.remoteHost.apiSecret());

        BrowserFixture.Tenant t = fx.tenant();
        Live s = fx.ready(t, "{}");
        var browser = fx.host.browserOf(s.id()).orElseThrow();
        // the relay's upstream is the host's relay endpoint for this session, not the browser's DevTools port
        BrowserSessions.RelayTarget target = fx.gateway.sessions().authorize(s.id().toString(), s.token());
        assertThat(target.hostApiUrl()).isEqualTo(fx.remoteHost.apiUrl());
        assertThat(target.upstream(true, "/devtools/browser/x").toString())
                .isEqualTo("ws://127.0.0.1:" + fx.remoteHost.api().port() + "/cdp/" + s.id() + "/devtools/browser/x");

        try (Playwright pw = Playwright.create()) {
            Browser br = pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(),
                    new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())));
            Page p = br.contexts().get(0).newPage();
            p.navigate(fx.whoami.url("/ip"));
            assertThat(p.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
            p.close();
            br.close();
        }
        // bytes are reported over HTTP
        Instant end = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(end) && bytesUsed(s.id()) <= 0) {
            Thread.sleep(50);
        }
        assertThat(bytesUsed(s.id())).isPositive();

        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
        awaitState(s.id(), "gone", Duration.ofSeconds(20));
        end = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(end) && ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(Files.exists(browser.getValue())).isFalse();
    }

    @Test
    void anotherGatewayReplicaPlacesDrivesAndStopsASessionOnTheHostFromItsRowAlone() throws Exception {
        // A second replica on the same database: the host registered with the first one only, and reports there.
        try (com.aimlib.gateway.Gateway b = com.aimlib.gateway.Gateway.start(com.aimlib.gateway.GatewayConfig.builder().ephemeralPorts().build(),
                fx.db, fx.box, BrowserSettings.defaults().manualReaper())) {
            BrowserFixture.Tenant t = fx.tenant();
            String base = "http://127.0.0.1:" + b.httpPort();
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices/" + t.device() + "/browser"))
                    .header("Authorization", "Bearer " + t.key()).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode c = Json.MAPPER.readTree(created.body());
            UUID id = UUID.fromString(c.get("session_id").asText());
            awaitState(id, "ready", Duration.ofSeconds(30));
            assertThat(fx.host.sessions()).contains(id);
            try (Playwright pw = Playwright.create()) {
                Browser br = pw.chromium().connectOverCDP(base + "/cdp/" + id,
                        new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + c.get("connect_token").asText())));
                Page p = br.contexts().get(0).newPage();
                p.navigate(fx.whoami.url("/ip"));
                assertThat(p.textContent("body").trim()).isEqualTo(BrowserFixture.EGRESS);
                br.close();
            }
            HttpResponse<String> stopped = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices/" + t.device() + "/browser"))
                    .header("Authorization", "Bearer " + t.key()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(stopped.statusCode()).isEqualTo(200);
            awaitState(id, "gone", Duration.ofSeconds(20));
            assertThat(fx.host.sessions()).doesNotContain(id);
        }
    }

    @Test
    void aRecordingIsRefusedOnARemoteHostAndLeavesNothingBehind() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"recording\":{\"har\":true}}");
        assertErrorBody(r, 503);
        assertThat(Json.MAPPER.readTree(r.body()).get("error").asText()).isEqualTo("host_unavailable");
        assertThat(fx.db.jdbi().<Integer, RuntimeException>withHandle(h -> h.createQuery("SELECT count(*) FROM browser_sessions WHERE device_id = :d AND host_id IS NOT NULL")
                .bind("d", t.device()).mapTo(Integer.class).one())).isZero();
        // without the recording the same create goes through
        Live s = fx.ready(t, "{}");
        assertThat(fx.host.sessions()).contains(s.id());
        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
        awaitState(s.id(), "gone", Duration.ofSeconds(20));
    }

    static long bytesUsed(UUID id) {
        return fx.db.jdbi().withHandle(h -> h.createQuery("SELECT COALESCE(bytes_used, 0) FROM browser_sessions WHERE id = :id")
                .bind("id", id).mapTo(Long.class).one());
    }

    @Test
    void theBridgeCredentialIsTheSessionsOwnNeverTheLeasePasswordAndDiesWithTheSession() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        Live s = fx.ready(t, "{}");
        Accounts.Proxy lease = fx.accounts.proxyForLease(t.lease()).orElseThrow();
        Map<String, Object> cred = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT username, password_hash FROM session_bridge_credentials WHERE session_id = :s")
                .bind("s", s.id()).mapToMap().one());
        assertThat((String) cred.get("username")).startsWith("sb_").isNotEqualTo(lease.username());
        assertThat(Secrets.same((byte[]) cred.get("password_hash"), Secrets.hash(lease.password()))).isFalse();
        // the host's bridge works with it: the egress check after ready goes through the device
        Instant end = Instant.now().plusSeconds(15);
        while (Instant.now().isBefore(end) && fx.host.bytesOf(s.id()) <= 0) {
            Thread.sleep(50);
        }
        assertThat(fx.host.bytesOf(s.id())).isPositive();

        // A credential of this session (re-minted so the test knows its plaintext) works through the proxy front...
        BrowserSessions.Bridge bridge = fx.db.jdbi().inTransaction(h -> fx.gateway.sessions().mintBridge(h, s.id()));
        assertThat(curlThrough(bridge.username(), bridge.password())).isEqualTo(BrowserFixture.EGRESS);
        // ...the lease's username with it does not, nor it with the lease's password
        assertThat(curlThrough(lease.username(), bridge.password())).isNull();
        assertThat(curlThrough(bridge.username(), lease.password())).isNull();
        try (Socket held = socksConnect(bridge.username(), bridge.password())) {
            assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
            // the open connection is cut like a lease end's (the proxy front's poll: within about a second)
            long t0 = System.nanoTime();
            held.setSoTimeout(10_000);
            assertThat(held.getInputStream().read()).isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
        }
        assertThat(curlThrough(bridge.username(), bridge.password())).isNull();
        // the customer's own lease credential is untouched
        assertThat(curlThrough(lease.username(), lease.password())).isEqualTo(BrowserFixture.EGRESS);
    }

    /** The body of whoami's /ip fetched through the SOCKS5 front with these credentials, or null when refused. */
    static String curlThrough(String user, String password) throws Exception {
        Process p = new ProcessBuilder("curl", "-sS", "--max-time", "20", "-x",
                "socks5h://" + user + ":" + password + "@127.0.0.1:" + fx.gateway.socksPort(), fx.whoami.url("/ip"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8).trim() : null;
    }

    /** A SOCKS5 connection through the front to whoami's port, handshake done by hand, left open. */
    static Socket socksConnect(String user, String password) throws IOException {
        Socket s = new Socket("127.0.0.1", fx.gateway.socksPort());
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(new byte[] {5, 1, 2});
        assertThat(new byte[] {in.readByte(), in.readByte()}).containsExactly(5, 2);
        byte[] u = user.getBytes(StandardCharsets.US_ASCII);
        byte[] pw = password.getBytes(StandardCharsets.US_ASCII);
        out.write(1);
        out.write(u.length);
        out.write(u);
        out.write(pw.length);
        out.write(pw);
        assertThat(new byte[] {in.readByte(), in.readByte()}).containsExactly(1, 0);
        int port = URI.create(fx.whoami.url("/ip")).getPort();
        out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        byte[] reply = new byte[10];
        in.readFully(reply);
        assertThat(reply[1]).as("SOCKS5 reply code").isEqualTo((byte) 0);
        return s;
    }

    @Test
    void aHostCredentialReachesOnlyTheSessionsPlacedOnItsHost() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        Live s = fx.ready(t, "{}");
        // Another host, with its own credential, registered (its API is never called here).
        String other = fx.mintHostCredential("other-" + UUID.randomUUID().toString().substring(0, 8), "elsewhere").get("token").asText();
        HttpResponse<String> reg = post(report("/register"), other, Map.of(), "{\"api_url\":\"http://127.0.0.1:9\",\"capacity\":1,"
                + "\"api_secret\":\"" + "s".repeat(40) + "\"}");
        assertThat(reg.statusCode()).as(reg.body()).isEqualTo(200);

        // its reports on this session: 404, and nothing changes
        String ready = "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{},\"boot_ms\":1}";
        for (String[] r : List.of(new String[] {"failed", "{\"reason\":\"x\"}"}, new String[] {"stopped", "{}"},
                new String[] {"bytes", "{\"total\":999999999}"}, new String[] {"egress", "{\"egress_ip\":\"10.9.9.9\"}"},
                new String[] {"ready", ready}, new String[] {"identity-applied", "{\"phases_ns\":{\"identity\":1}}"})) {
            HttpResponse<String> res = post(report("/sessions/" + s.id() + "/" + r[0]), other, Map.of(), r[1]);
            assertThat(res.statusCode()).as(r[0] + " " + res.body()).isEqualTo(404);
            assertThat(Json.MAPPER.readTree(res.body()).path("error").asText()).isEqualTo("session_not_found");
        }
        assertThat(fx.statusOf(s.id())).isIn("ready", "active", "idle");
        assertThat(bytesUsed(s.id())).isLessThan(999999999L);
        // the same reports with no or a made-up credential: 401
        assertErrorBody(post(report("/sessions/" + s.id() + "/failed"), null, Map.of(), "{\"reason\":\"x\"}"), 401);
        assertErrorBody(post(report("/heartbeat"), "aimh_" + "x".repeat(40), Map.of(), "{}"), 401);

        // The host's own API takes orders only with its API secret: not a host credential, not nothing.
        String api = fx.remoteHost.apiUrl();
        assertErrorBody(post(api + "/host-api/v1/sessions/" + s.id() + "/stop", other, Map.of(), "{}"), 401);
        assertErrorBody(post(api + "/host-api/v1/sessions/" + s.id() + "/stop", fx.remoteHost.token(), Map.of(), "{}"), 401);
        assertErrorBody(post(api + "/host-api/v1/sessions/" + s.id() + "/stop", null, Map.of(), "{}"), 401);
        assertThat(fx.host.browserOf(s.id())).isPresent();
        HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/host-api/v1/status"))
                .header("Authorization", "Bearer " + fx.remoteHost.apiSecret()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(status.body()).get("sessions").toString()).contains(s.id().toString());

        // Its relay endpoint splices only with this session's relay secret.
        String version = api + "/cdp/" + s.id() + "/json/version";
        assertErrorBody(get(version, Map.of()), 401);
        assertErrorBody(get(version, Map.of("X-Aimlib-Relay-Secret", fx.gateway.sessions().relaySecret(UUID.randomUUID()))), 401);
        assertErrorBody(get(version, Map.of("Authorization", "Bearer " + fx.remoteHost.apiSecret())), 401);
        HttpResponse<String> ok = get(version, Map.of("X-Aimlib-Relay-Secret", fx.gateway.sessions().relaySecret(s.id())));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(ok.body()).path("Browser").asText()).contains("Chrom");
        // a session this host does not run: 401 (no secret known for it), whatever the secret
        UUID stranger = UUID.randomUUID();
        assertErrorBody(get(api + "/cdp/" + stranger + "/json/version",
                Map.of("X-Aimlib-Relay-Secret", fx.gateway.sessions().relaySecret(stranger))), 401);

        assertThat(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode()).isEqualTo(200);
        awaitState(s.id(), "gone", Duration.ofSeconds(20));
    }

    @Test
    void aRevokedCredentialIsRefusedAndItsHostsSessionsFail() throws Exception {
        String region = "rev-" + UUID.randomUUID().toString().substring(0, 8);
        HostSettings base = fx.hostSettings(2);
        HostSettings settings = new HostSettings(region, region, base.address(), 2, base.chromium(), Files.createTempDirectory("revoked-host"),
                base.upstreamType(), base.upstream(), base.probeUrl(), base.heartbeatInterval(), base.bytesReportInterval(), 0, true);
        BrowserFixture.RemoteHost r = fx.startRemoteHost(settings);
        try {
            BrowserFixture.Tenant t = fx.tenantIn(region);
            Live s = fx.ready(t, "{}");
            var browser = r.host().browserOf(s.id()).orElseThrow();
            assertThat(post(report("/heartbeat"), r.token(), Map.of(), "{}").statusCode()).isEqualTo(200);

            HttpResponse<String> revoked = fx.call("DELETE", "/admin/v1/hosts/" + r.host().id(), fx.operatorKey, null);
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
            assertThat(BrowserFixture.json(revoked).get("sessions_failed").asInt()).isEqualTo(1);
            assertThat(fx.statusOf(s.id())).isEqualTo("failed");
            // the gateway told the host to stop the browser while it still could
            Instant end = Instant.now().plusSeconds(15);
            while (Instant.now().isBefore(end) && ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)) {
                Thread.sleep(20);
            }
            assertThat(ProcessHandle.of(browser.getKey()).map(ProcessHandle::isAlive).orElse(false)).isFalse();

            assertErrorBody(post(report("/heartbeat"), r.token(), Map.of(), "{}"), 401);
            assertErrorBody(post(report("/register"), r.token(), Map.of(), "{\"api_url\":\"" + r.apiUrl() + "\",\"capacity\":2,\"api_secret\":\""
                    + "s".repeat(40) + "\"}"), 401);
            assertErrorBody(post(report("/sessions/" + s.id() + "/stopped"), r.token(), Map.of(), "{}"), 401);
            assertErrorBody(fx.call("DELETE", "/admin/v1/hosts/" + r.host().id(), fx.operatorKey, null), 409);
            assertErrorBody(fx.call("DELETE", "/admin/v1/hosts/" + UUID.randomUUID(), fx.operatorKey, null), 404);
            // a customer key is no operator key
            assertThat(fx.call("DELETE", "/admin/v1/hosts/" + r.host().id(), t.key(), null).statusCode()).isIn(401, 403);
            assertThat(fx.call("POST", "/admin/v1/hosts", t.key(), "{\"name\":\"x\",\"region\":\"y\"}").statusCode()).isIn(401, 403);
        } finally {
            r.close();
        }
    }

    @Test
    void mintingACredentialIsValidatedAndTheTokenIsStoredOnlyHashed() throws Exception {
        String name = "mint-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode m = fx.mintHostCredential(name, "r1");
        String token = m.get("token").asText();
        assertThat(token).startsWith("aimh_").hasSizeGreaterThan(40);
        Map<String, Object> row = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT token_hash, token_prefix, status FROM browser_hosts WHERE id = :id")
                .bind("id", UUID.fromString(m.get("id").asText())).mapToMap().one());
        assertThat((byte[]) row.get("token_hash")).isEqualTo(Secrets.hash(token));
        assertThat(token).startsWith((String) row.get("token_prefix"));
        assertThat(row.get("status")).isEqualTo("down");
        assertErrorBody(fx.call("POST", "/admin/v1/hosts", fx.operatorKey, "{\"name\":\"" + name + "\",\"region\":\"r1\"}"), 409);
        for (String bad : List.of("{}", "{\"name\":\"a b\",\"region\":\"r\"}", "{\"name\":\"ok\"}", "{\"name\":5,\"region\":\"r\"}", "[", "[]")) {
            assertErrorBody(fx.call("POST", "/admin/v1/hosts", fx.operatorKey, bad), 400);
        }
        // who the credential names; a name or region other than the credential's is refused at registration
        JsonNode self = Json.MAPPER.readTree(post(report("/self"), token, Map.of(), "{}").body());
        assertThat(self.get("name").asText()).isEqualTo(name);
        assertThat(self.get("region").asText()).isEqualTo("r1");
        assertErrorBody(post(report("/register"), token, Map.of(), "{\"name\":\"someone-else\",\"api_url\":\"http://127.0.0.1:9\",\"capacity\":1,"
                + "\"api_secret\":\"" + "s".repeat(40) + "\"}"), 403);
        assertErrorBody(post(report("/register"), token, Map.of(), "{\"region\":\"r2\",\"api_url\":\"http://127.0.0.1:9\",\"capacity\":1,"
                + "\"api_secret\":\"" + "s".repeat(40) + "\"}"), 403);
    }

    @Test
    void badReportAndOrderBodiesGetTheDocumentedErrorAndChangeNothing() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        // a session row placed on this host that has ended: a report that got through would show on it
        UUID gone = fx.insertSession(t, "gone", null, null, fx.host.id(), null);
        String token = fx.remoteHost.token();
        String validReady = "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{},\"boot_ms\":1}";
        List<String> bodies = new ArrayList<>(List.of("{", "[]", "null", "\"x\"", "1", "{\"a\":", "{}}", "{\"cdp_port\":\"9222\"}",
                "{\"cdp_port\":70000,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{}}",
                "{\"cdp_port\":9222,\"cdp_path\":\"/etc/passwd\",\"resolved_profile\":{}}",
                "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":[]}",
                "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{},\"egress_ip\":\"<script>\"}",
                "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{},\"downloads_dir\":\"relative\"}",
                "{\"cdp_port\":9222,\"cdp_path\":\"/devtools/browser/abc\",\"resolved_profile\":{},\"phases_ns\":{\"launch\":-5}}",
                "{\"total\":-1}", "{\"total\":1.5}", "{\"total\":\"5\"}", "{\"reason\":\"\"}", "{\"reason\":" + "\"x".repeat(1) + "\"" + "y".repeat(600) + "\"}",
                "[".repeat(5000) + "]".repeat(5000), "{\"egress_ip\":7}"));
        Random random = new Random(12);
        for (int i = 0; i < 40; i++) {
            // mutations of a valid body: a cut at a random place, or a character flipped
            StringBuilder b = new StringBuilder(validReady);
            if (i % 2 == 0) {
                b.setLength(random.nextInt(validReady.length() - 1));
            } else {
                b.setCharAt(random.nextInt(b.length()), "{}[]\",:x0-".charAt(random.nextInt(10)));
            }
            bodies.add(b.toString());
        }
        int refused = 0;
        for (String what : List.of("ready", "identity-applied", "failed", "bytes", "egress", "stopped")) {
            for (String body : bodies) {
                HttpResponse<String> r = post(report("/sessions/" + gone + "/" + what), token, Map.of("Content-Type", "application/json"), body);
                assertThat(r.statusCode()).as(what + " " + body + " -> " + r.body()).isIn(200, 400);
                if (r.statusCode() == 400) {
                    refused++;
                    assertErrorBody(r, 400);
                }
            }
            assertErrorBody(postBytes(report("/sessions/" + gone + "/" + what), token, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}), 400);
        }
        assertThat(refused).isGreaterThan(bodies.size() * 3);
        // nothing a refused report said reached the row
        Map<String, Object> row = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT status, bytes_used, egress_ip, failure_reason FROM browser_sessions WHERE id = :id")
                .bind("id", gone).mapToMap().one());
        assertThat(row.get("status")).isEqualTo("gone");
        assertThat(row.get("failure_reason")).isNull();
        assertThat(row.get("egress_ip")).isNull();
        for (String body : List.of("{", "[]", "{\"capacity\":-1,\"api_url\":\"http://x:1\",\"api_secret\":\"" + "s".repeat(40) + "\"}",
                "{\"capacity\":1,\"api_url\":\"ftp://x:1\",\"api_secret\":\"" + "s".repeat(40) + "\"}",
                "{\"capacity\":1,\"api_url\":\"http://x\",\"api_secret\":\"" + "s".repeat(40) + "\"}",
                "{\"capacity\":1,\"api_url\":\"http://x:1/a?b\",\"api_secret\":\"" + "s".repeat(40) + "\"}",
                "{\"capacity\":1,\"api_url\":\"http://x:1\",\"api_secret\":\"short\"}", "{\"capacity\":1,\"api_secret\":\"" + "s".repeat(40) + "\"}")) {
            assertErrorBody(post(report("/register"), token, Map.of(), body), 400);
        }
        // the host is still registered as it was
        assertThat(fx.db.jdbi().<String, RuntimeException>withHandle(h -> h.createQuery("SELECT api_url FROM browser_hosts WHERE id = :id").bind("id", fx.host.id())
                .mapTo(String.class).one())).isEqualTo(fx.remoteHost.apiUrl());

        // The host's API: malformed orders are refused with the error body and boot nothing.
        String api = fx.remoteHost.apiUrl() + "/host-api/v1/sessions/" + UUID.randomUUID() + "/boot";
        for (String body : List.of("", "{", "[]", "null", "{\"profile\":{}}", "{\"profile\":[],\"relay_secret\":\"" + "r".repeat(40) + "\"}",
                "{\"profile\":{},\"device_name\":\"d\",\"relay_secret\":\"" + "r".repeat(40) + "\"}",
                "{\"profile\":{},\"device_name\":\"d\",\"bridge_username\":\"u\",\"bridge_password\":\"p\",\"relay_secret\":\"short\"}",
                "{\"profile\":{},\"device_name\":\"d\",\"bridge_username\":\"u\",\"bridge_password\":\"p\",\"data_cap_bytes\":\"x\",\"relay_secret\":\""
                        + "r".repeat(40) + "\"}")) {
            assertErrorBody(post(api, fx.remoteHost.apiSecret(), Map.of(), body), 400);
        }
        assertErrorBody(post(fx.remoteHost.apiUrl() + "/host-api/v1/sessions/not-a-uuid/boot", fx.remoteHost.apiSecret(), Map.of(), "{}"), 404);
        assertErrorBody(post(fx.remoteHost.apiUrl() + "/host-api/v1/nothing", fx.remoteHost.apiSecret(), Map.of(), "{}"), 404);
        String save = fx.remoteHost.apiUrl() + "/host-api/v1/sessions/" + gone + "/save-state";
        for (String body : List.of("", "{", "{}", "{\"max_bytes\":0}", "{\"max_bytes\":\"x\"}", "[]")) {
            assertErrorBody(post(save, fx.remoteHost.apiSecret(), Map.of(), body), 400);
        }
        assertErrorBody(post(save, fx.remoteHost.apiSecret(), Map.of(), "{\"max_bytes\":1000}"), 409);
        // Bodies are judged by the request head: no secret, no buffering of a large order; only orders may be large.
        byte[] big = new byte[2 << 20];
        assertErrorBody(postBytes(api, null, big), 401);
        assertErrorBody(HTTP.send(HttpRequest.newBuilder(URI.create(api)).expectContinue(true).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString()), 401);
        assertErrorBody(postBytes(fx.remoteHost.apiUrl() + "/cdp/" + gone + "/json/version", null, new byte[100 << 10]), 413);
        assertThat(fx.host.sessions()).doesNotContain(gone);
    }
}
