package com.aimlib.testing;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.sessions.BrowserSettings;
import com.aimlib.gateway.tunnel.AgentStore;
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
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
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
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One gateway, one in-process browser host chained to the gateway's own SOCKS5 proxy front, a real device
 * agent per tenant's device (in process, dialing the gateway's tunnel, egressing from {@link #EGRESS}) and
 * a what-is-my-IP server, on one fresh database: what a browser-session test class shares. A session's
 * traffic takes the production path: Chromium → bridge → SOCKS5 front → HTTP/2 tunnel → agent → origin.
 */
public final class BrowserFixture implements AutoCloseable {
    public final Database db;
    public final MutableClock clock = new MutableClock();
    public final Gateway gateway;
    /** The source address every test device's agent binds: what an origin sees when traffic went through the device. */
    public static final String EGRESS = "127.0.0.2";
    /** The pages browsers load come from loopback servers of the test: the device may reach them. */
    private static final AgentSettings AGENT = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .withEgress(EgressPolicy.parse("127.0.0.0/8,::1"));
    private final List<Agent> agents = new CopyOnWriteArrayList<>();
    public final WhoAmI whoami;
    public final Accounts accounts;
    public final SecretBox box = new SecretBox(Secrets.randomBytes(32));
    public final Path workDir;
    public BrowserHost host;
    /** An operator key for {@code /admin/v1}. */
    public final String operatorKey;
    private final HttpClient http = HttpClient.newHttpClient();
    private static final java.util.concurrent.atomic.AtomicInteger N = new java.util.concurrent.atomic.AtomicInteger();

    public BrowserFixture(int hostCapacity) throws Exception {
        this(hostCapacity, TestDatabases.fresh(), null, b -> b);
    }

    /** With gateway settings changed from the defaults (limits under test). */
    public BrowserFixture(int hostCapacity, java.util.function.UnaryOperator<GatewayConfig.Builder> config) throws Exception {
        this(hostCapacity, TestDatabases.fresh(), null, config, null);
    }

    /** A fixture whose gateway keeps recordings as {@code recordings} says (issue 14). */
    public BrowserFixture(int hostCapacity, com.aimlib.gateway.recordings.RecordingSettings recordings) throws Exception {
        this(hostCapacity, TestDatabases.fresh(), null, b -> b, recordings);
    }

    private BrowserFixture(int hostCapacity, Database db, Path workDir, java.util.function.UnaryOperator<GatewayConfig.Builder> config) throws Exception {
        this(hostCapacity, db, workDir, config, null);
    }

    private BrowserFixture(int hostCapacity, Database db, Path workDir, java.util.function.UnaryOperator<GatewayConfig.Builder> config,
                           com.aimlib.gateway.recordings.RecordingSettings recordings) throws Exception {
        this(hostCapacity, db, workDir, config, recordings, false, BrowserSettings.defaults().manualReaper());
    }

    /**
     * A fixture whose browser host is "on another machine" (issue 12): the same in-JVM {@link BrowserHost}, wired to the
     * gateway only over real HTTP with a host credential minted through the operator API ({@code RemoteGatewayLink} for
     * its reports, its own {@code HostApiServer} for orders and the CDP relay endpoint). The reaper is driven by hand.
     */
    public static BrowserFixture remote(int hostCapacity) throws Exception {
        return new BrowserFixture(hostCapacity, TestDatabases.fresh(), null, b -> b, null, true, BrowserSettings.defaults().manualReaper());
    }

    /** {@link #remote(int)} with gateway settings changed from the defaults (limits under test). */
    public static BrowserFixture remote(int hostCapacity, java.util.function.UnaryOperator<GatewayConfig.Builder> config) throws Exception {
        return new BrowserFixture(hostCapacity, TestDatabases.fresh(), null, config, null, true, BrowserSettings.defaults().manualReaper());
    }

    /** {@link #remote(int)} with the gateway's reaper running on its own, every second (host-death timing tests). */
    public static BrowserFixture remoteWithReaper(int hostCapacity) throws Exception {
        return new BrowserFixture(hostCapacity, TestDatabases.fresh(), null, b -> b, null, true, BrowserSettings.defaults());
    }

    private BrowserFixture(int hostCapacity, Database db, Path workDir, java.util.function.UnaryOperator<GatewayConfig.Builder> config,
                           com.aimlib.gateway.recordings.RecordingSettings recordings, boolean remote, BrowserSettings browser) throws Exception {
        this.db = db;
        this.accounts = new Accounts(db, box);
        this.whoami = new WhoAmI();
        this.operatorKey = accounts.mintKey(null, "ops", Set.of(), null).plaintext();
        this.gateway = Gateway.start(config.apply(GatewayConfig.builder().ephemeralPorts().clock(clock)).build(), db, box, null,
                browser, recordings != null ? recordings
                        : com.aimlib.gateway.recordings.RecordingSettings.in(Files.createTempDirectory("aimlib-rec")).manualSweep());
        this.workDir = workDir != null ? workDir : Files.createTempDirectory("aimlib-host");
        if (remote) {
            RemoteHost r = startRemoteHost(hostSettings(hostCapacity));
            this.host = r.host();
            this.remoteHost = r;
        } else {
            this.host = BrowserHost.start(hostSettings(hostCapacity), gateway.sessions());
        }
    }

    /** Set for a {@link #remote} fixture: its host's API server and credential. */
    public RemoteHost remoteHost;

    /** A browser host wired to the gateway over HTTP only, with its credential ({@code aimh_…}) and API server. */
    public record RemoteHost(BrowserHost host, com.aimlib.host.HostApiServer api, String token, String apiSecret) implements AutoCloseable {
        public String apiUrl() {
            return "http://127.0.0.1:" + api.port();
        }

        @Override
        public void close() {
            host.close();
            api.close();
        }
    }

    /** Fails unless this fixture's host is reached over HTTP only (a {@link #remote} fixture, registered with its API). */
    public void assertRemoteHost() {
        if (remoteHost == null) {
            throw new AssertionError("not a remote-host fixture");
        }
        String api = db.jdbi().withHandle(h -> h.createQuery("SELECT api_url FROM browser_hosts WHERE id = :id").bind("id", host.id())
                .mapTo(String.class).one());
        if (!remoteHost.apiUrl().equals(api)) {
            throw new AssertionError("the host's row names API " + api + ", not " + remoteHost.apiUrl());
        }
    }

    /** Mints a host credential through {@code POST /admin/v1/hosts}; returns the JSON answer (id, token, ...). */
    public JsonNode mintHostCredential(String name, String region) throws IOException, InterruptedException {
        HttpResponse<String> r = call("POST", "/admin/v1/hosts", operatorKey,
                "{\"name\":\"" + name + "\",\"region\":\"" + region + "\"}");
        if (r.statusCode() != 201) {
            throw new AssertionError("minting a host credential: " + r.statusCode() + " " + r.body());
        }
        return json(r);
    }

    /** Starts an in-JVM host with {@code settings} (its name and region get a credential) wired to the gateway over HTTP only. */
    public RemoteHost startRemoteHost(HostSettings settings) throws Exception {
        String token = mintHostCredential(settings.name(), settings.region()).get("token").asText();
        String secret = Secrets.randomHex(32);
        com.aimlib.host.HostApiServer api = com.aimlib.host.HostApiServer.start(secret, "127.0.0.1", 0);
        com.aimlib.host.RemoteGatewayLink link = new com.aimlib.host.RemoteGatewayLink(URI.create(gateway.baseUrl()), token,
                "http://127.0.0.1:" + api.port(), secret);
        BrowserHost h = BrowserHost.start(settings, link);
        api.attach(h);
        return new RemoteHost(h, api, token, secret);
    }

    /** A tenant whose device is in {@code region} (so its sessions go to that region's hosts only). */
    public Tenant tenantIn(String region) {
        int n = N.incrementAndGet();
        Accounts.Customer c = accounts.createCustomer("c" + n + "-" + UUID.randomUUID(), 5);
        String key = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        Accounts.Device d = accounts.createDevice("d" + n + "-" + UUID.randomUUID(), region, "test", 1, null);
        startAgent(d.id());
        Accounts.Lease l = accounts.createLease(c.id(), d.id(), clock.instant().plus(Duration.ofHours(2)), "socks5");
        return new Tenant(c.id(), key, d.id(), l.id());
    }

    public HostSettings hostSettings(int capacity) {
        return HostSettings.defaults("host-" + ProcessHandle.current().pid() + "-" + workDir.getFileName(), "local",
                        new InetSocketAddress("127.0.0.1", gateway.socksPort()))
                .withCapacity(capacity).withWorkDir(workDir).withProbeUrl(whoami.url("/ip"));
    }

    /**
     * A customer with a key, a device whose agent is online (bound to {@link #EGRESS}), and an active socks5
     * lease on it ending in {@code leaseFor}.
     */
    public record Tenant(UUID customer, String key, UUID device, UUID lease) {
    }

    public Tenant tenant(int customerCap, int deviceCap, Long monthlyCap, Duration leaseFor) {
        int n = N.incrementAndGet();
        Accounts.Customer c = accounts.createCustomer("c" + n + "-" + UUID.randomUUID(), customerCap);
        String key = accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext();
        Accounts.Device d = accounts.createDevice("d" + n + "-" + UUID.randomUUID(), "local", "test", deviceCap, monthlyCap);
        startAgent(d.id());
        Accounts.Lease l = accounts.createLease(c.id(), d.id(), leaseFor == null ? null : clock.instant().plus(leaseFor), "socks5");
        return new Tenant(c.id(), key, d.id(), l.id());
    }

    /** Mints the device an agent token and starts its agent (one tunnel connection, bound to {@link #EGRESS}); returns once it is online. */
    public Agent startAgent(UUID deviceId) {
        // Nothing reported: the test devices' sessions default to their region's zone and locale, whatever this machine's are.
        return startAgent(deviceId, "", "");
    }

    /** {@link #startAgent(UUID)} for an agent that reports the phone's time zone and locale (null: the process's own). */
    public Agent startAgent(UUID deviceId, String timezone, String locale) {
        String token = new AgentStore(db).mintToken(deviceId).orElseThrow().token();
        Agent agent;
        try {
            agent = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                    List.of(new DeviceConfig(deviceId, token, EGRESS, "TestCarrier", null, null, 1, null, null, timezone, locale)), AGENT, 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        agents.add(agent);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!gateway.tunnels().online(deviceId)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agent of device " + deviceId + " did not come online: " + agent.lastFailure(deviceId));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return agent;
    }

    /** This month's {@code device_usage} of the device, up + down, as the proxy front last flushed it. */
    public long deviceUsage(UUID deviceId) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COALESCE(SUM(bytes_up + bytes_down), 0) FROM device_usage WHERE device_id = :d")
                .bind("d", deviceId).mapTo(Long.class).one());
    }

    /** The lease's {@code bytes_up + bytes_down}, as the proxy front last flushed them. */
    public long leaseUsage(UUID leaseId) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT bytes_up + bytes_down FROM leases WHERE id = :l")
                .bind("l", leaseId).mapTo(Long.class).one());
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

    /** A session that reached {@code ready}, with its connect token. */
    public record Live(Tenant tenant, UUID id, String token) {
    }

    /** POSTs a browser session for the tenant's device with {@code body} and waits until it is ready. */
    public Live ready(Tenant t, String body) throws Exception {
        JsonNode c = json(call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), body));
        awaitStatus(t, "ready", Duration.ofSeconds(30));
        return new Live(t, UUID.fromString(c.get("session_id").asText()), c.get("connect_token").asText());
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
        if (remoteHost != null) {
            remoteHost.api().close();
        }
        boolean leftovers;
        try (var left = Files.list(workDir)) {
            leftovers = left.findAny().isPresent();
            Files.deleteIfExists(workDir);
        } catch (IOException e) {
            leftovers = true;
        }
        // Agents go before the gateway, all at once (each waits for its GOAWAY to be answered).
        agents.stream().map(a -> Thread.ofVirtual().start(a::close)).toList().forEach(t -> {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        gateway.close();
        whoami.close();
        db.close();
        if (leftovers || !com.aimlib.host.BrowserHostProbe.browsersUnder(workDir).isEmpty()) {
            throw new AssertionError("the host left browsers or user-data-dirs behind in " + workDir);
        }
    }
}
