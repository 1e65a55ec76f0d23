package com.aimlib.testing;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.host.BrowserHost;
import com.aimlib.host.HostSettings;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * One gateway, one in-process browser host, danted as the proxy upstream and a what-is-my-IP server,
 * on one fresh database: what a browser-session test class shares.
 */
public final class BrowserFixture implements AutoCloseable {
    public final Database db;
    public final MutableClock clock = new MutableClock();
    public final Gateway gateway;
    public final Danted danted;
    public final WhoAmI whoami;
    public final Accounts accounts;
    public final SecretBox box = new SecretBox(Secrets.randomBytes(32));
    public final Path workDir;
    public BrowserHost host;
    private final HttpClient http = HttpClient.newHttpClient();
    private static final java.util.concurrent.atomic.AtomicInteger N = new java.util.concurrent.atomic.AtomicInteger();

    public BrowserFixture(int hostCapacity) throws Exception {
        this(hostCapacity, TestDatabases.fresh(), null);
    }

    private BrowserFixture(int hostCapacity, Database db, Path workDir) throws Exception {
        this.db = db;
        this.accounts = new Accounts(db, box);
        this.danted = Danted.start();
        this.whoami = new WhoAmI();
        this.gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().clock(clock).build(), db, box,
                BrowserSettings.defaults().manualReaper());
        this.workDir = workDir != null ? workDir : Files.createTempDirectory("aimlib-host");
        this.host = BrowserHost.start(hostSettings(hostCapacity), gateway.sessions());
    }

    public HostSettings hostSettings(int capacity) {
        return HostSettings.defaults("host-" + ProcessHandle.current().pid() + "-" + workDir.getFileName(), "local", danted.address())
                .withCapacity(capacity).withWorkDir(workDir).withProbeUrl(whoami.url("/ip"));
    }

    /** A customer with a key, a device, and an active socks5 lease on it ending in {@code leaseFor}. */
    public record Tenant(UUID customer, String key, UUID device, UUID lease) {
    }

    public Tenant tenant(int customerCap, int deviceCap, Long monthlyCap, Duration leaseFor) {
        int n = N.incrementAndGet();
        Accounts.Customer c = accounts.createCustomer("c" + n + "-" + UUID.randomUUID(), customerCap);
        String key = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        Accounts.Device d = accounts.createDevice("d" + n + "-" + UUID.randomUUID(), "local", "test", deviceCap, monthlyCap);
        Accounts.Lease l = accounts.createLease(c.id(), d.id(), leaseFor == null ? null : clock.instant().plus(leaseFor), "socks5");
        return new Tenant(c.id(), key, d.id(), l.id());
    }

    public Tenant tenant() {
        return tenant(5, 1, null, Duration.ofHours(2));
    }

    public HttpResponse<String> call(String method, String path, String key, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    /** Polls GET …/browser until the status is {@code want} (or fails after {@code within}). */
    public JsonNode awaitStatus(Tenant t, String want, Duration within) throws Exception {
        Instant end = Instant.now().plus(within);
        JsonNode last = null;
        while (Instant.now().isBefore(end)) {
            HttpResponse<String> r = call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null);
            if (r.statusCode() == 200) {
                last = json(r);
                if (want.equals(last.path("status").asText())) {
                    return last;
                }
            } else if ("404".equals(want) && r.statusCode() == 404) {
                return json(r);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("status " + want + " not reached; last " + last);
    }

    /** A raw WebSocket upgrade to the relay: the status line, headers and body the gateway answered with. */
    public String wsUpgrade(String path, String token) throws IOException {
        try (Socket s = new Socket("127.0.0.1", gateway.httpPort())) {
            s.setSoTimeout(10_000);
            String req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.httpPort() + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
            OutputStream out = s.getOutputStream();
            out.write(req.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (sb.toString().startsWith("HTTP/1.1 101")) {
                    break;
                }
            }
            return sb.toString();
        }
    }

    /** Inserts a session row directly (relay tests of states a real boot passes through too fast to catch). */
    public UUID insertSession(Tenant t, String status, String token, Instant expiresAt, UUID hostId, Integer cdpPort) {
        UUID id = UUID.randomUUID();
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO browser_sessions (id, customer_id, device_id, lease_id, host_id, status, connect_token_hash,
                            expires_at, cdp_port, cdp_path, boot_started_at)
                        VALUES (:id, :c, :d, :l, :host, :status, :hash, :exp, :port, '/devtools/browser/x', :now)""")
                .bind("id", id).bind("c", t.customer()).bind("d", t.device()).bind("l", t.lease()).bind("host", hostId)
                .bind("status", status).bind("hash", token == null ? null : Secrets.hash(token)).bind("exp", expiresAt)
                .bind("port", cdpPort).bind("now", clock.instant()).execute());
        return id;
    }

    public String statusOf(UUID session) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM browser_sessions WHERE id = :id").bind("id", session)
                .mapTo(String.class).one());
    }

    /** Moves the clock and keeps the host's heart-beat current, so only session deadlines are crossed. */
    public void advance(Duration d) {
        clock.advance(d);
        gateway.sessions().heartbeat(host.id());
    }

    /** Restarts the in-process host as if its process crashed: browsers left running, a new host takes over the work dir. */
    public void crashAndRestartHost(int capacity) throws IOException {
        host.abandon();
        host = BrowserHost.start(hostSettings(capacity), gateway.sessions());
    }

    @Override
    public void close() {
        host.close();
        boolean leftovers;
        try (var left = Files.list(workDir)) {
            leftovers = left.findAny().isPresent();
            Files.deleteIfExists(workDir);
        } catch (IOException e) {
            leftovers = true;
        }
        gateway.close();
        danted.close();
        whoami.close();
        db.close();
        if (leftovers || !com.aimlib.host.BrowserHostProbe.browsersUnder(workDir).isEmpty()) {
            throw new AssertionError("the host left browsers or user-data-dirs behind in " + workDir);
        }
    }
}
