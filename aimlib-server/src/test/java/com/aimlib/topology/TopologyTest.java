package com.aimlib.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.tunnel.AgentStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.NetworkPostgres;
import com.aimlib.store.SecretBox;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 12's topology on one machine, with Linux network namespaces standing in for machines. Two bridges in the
 * initial namespace (where this JVM, the customers' side, lives) make two networks of 10.212.0.0/24:
 *
 * <pre>
 *   data  10.212.0.0/26   .1 this JVM   .2 PostgreSQL (atp-db)   .11/.12 gateway replicas
 *   front 10.212.0.64/26  .65 this JVM  .70 HAProxy (atp-lb)     .75/.76 gateway replicas
 *                         .81/.82 browser hosts (atp-host1/2: no interface on the data network, no route to it)
 *                         .91-.93 device agents (atp-dev1-3, each its own egress address)   .100 the "internet" origin
 * </pre>
 *
 * Every part is a real process in its namespace: PostgreSQL from the project's embedded binaries listening on
 * 10.212.0.2 ({@code aimlib migrate} runs once against it), two {@code aimlib gateway --no-migrate} replicas with the
 * PostgreSQL rate-limit store and the PROXY protocol on, HAProxy (Debian's package) in front of both speaking PROXY
 * v2 to the SOCKS5, HTTP proxy and tunnel ports and plain HTTP to the API, three {@code aimlib agent}s dialling the
 * tunnel port through HAProxy, and a what-is-my-IP origin. The test orders its scenarios: the replica kill comes
 * last. Everything it makes is named {@code atp-*} and removed afterwards (also by a shutdown hook, and at the next
 * start after an aborted run), with every process in those namespaces killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopologyTest {
    static final String DB_NET = "atp-data";
    static final String FRONT_NET = "atp-front";
    static final String DB_IP = "10.212.0.2";
    static final int PG_PORT = 5432;
    static final String LB_IP = "10.212.0.70";
    static final String ORIGIN_IP = "10.212.0.100";
    static final int ORIGIN_HTTP = 8080;
    static final int ORIGIN_ECHO = 7007;
    static final String[] GW_FRONT_IP = {"10.212.0.75", "10.212.0.76"};
    static final String[] GW_DATA_IP = {"10.212.0.11", "10.212.0.12"};
    static final String[] HOST_IP = {"10.212.0.81", "10.212.0.82"};
    static final String[] DEVICE_IP = {"10.212.0.91", "10.212.0.92", "10.212.0.93"};
    /** HAProxy's fronts: balanced over both replicas, and one pinned to each replica (port + 1, port + 2). */
    static final int API = 8080;
    static final int SOCKS = 1080;
    static final int HTTP_PROXY = 3128;
    static final int TUNNEL = 7783;
    static final int STATS = 8404;
    static final String OPERATOR_KEY = "ak_op_" + "t".repeat(40);
    static final int CONNECTIONS_PER_DEVICE = 1000;

    static Path dir;
    static Thread cleanupHook;
    static final List<Role> roles = new ArrayList<>();
    static Role[] gateways = new Role[2];
    static Role origin;
    static NetworkPostgres.Cluster cluster;
    static Database db;
    static Accounts accounts;
    static Accounts.Customer customer;
    static final List<Accounts.Device> devices = new ArrayList<>();
    static final List<Accounts.Proxy> proxies = new ArrayList<>();
    static HttpClient http;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Role[] hosts = new Role[2];
    static final UUID[] hostIds = new UUID[2];
    static final String[] hostTokens = new String[2];
    static String customerKey;
    /** The browser sessions of the host scenarios: one on each device 1 and 2, placed on the two hosts. */
    static final List<Session> sessions = new ArrayList<>();

    record Session(UUID id, String connectToken, int device, UUID host) {
    }

    @BeforeAll
    static void start() throws Exception {
        String why = Netns.unavailable();
        Assumptions.assumeTrue(why == null, why);
        assertThat(Path.of("/usr/sbin/haproxy")).as("HAProxy (Debian package haproxy; .ci/run installs it)").exists();
        Netns.cleanAll(); // leftovers of an aborted run
        dir = Files.createTempDirectory("aimlib-topology");
        cleanupHook = new Thread(() -> {
            Netns.cleanAll();
            deleteDir();
        }, "topology-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        network();
        database();
        replicas();
        balancer();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        internetAndDevices();
        browserHosts();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            for (Role r : roles) {
                r.close();
            }
            if (db != null) {
                db.close();
            }
        } finally {
            Netns.cleanAll();
            if (cleanupHook != null) {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            }
        }
        assertThat(Netns.namespaces()).as("namespaces left behind").isEmpty();
        assertThat(Netns.links()).as("links left behind").isEmpty();
        deleteDir();
    }

    /** Removes the run's directory (logs, data, token files) unless AIMLIB_TOPOLOGY_KEEP is set. */
    static void deleteDir() {
        if (dir != null && Files.exists(dir) && System.getenv("AIMLIB_TOPOLOGY_KEEP") == null) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("topology: cannot delete " + dir + ": " + e);
            }
        }
    }

    // ---- building the topology -------------------------------------------------------------------------------

    static void network() throws IOException {
        Netns.bridge(DB_NET, "10.212.0.1/26");
        Netns.bridge(FRONT_NET, "10.212.0.65/26");
        Netns.namespace("atp-db");
        Netns.attach("atp-db", "eth0", DB_NET, "atp-db-d", DB_IP + "/26");
        for (int i = 0; i < 2; i++) {
            String ns = "atp-gw" + (i + 1);
            Netns.namespace(ns);
            Netns.attach(ns, "data0", DB_NET, ns + "-d", GW_DATA_IP[i] + "/26");
            Netns.attach(ns, "front0", FRONT_NET, ns + "-f", GW_FRONT_IP[i] + "/26");
        }
        Netns.namespace("atp-lb");
        Netns.attach("atp-lb", "eth0", FRONT_NET, "atp-lb-f", LB_IP + "/26");
        for (int i = 0; i < 2; i++) {
            String ns = "atp-host" + (i + 1);
            Netns.namespace(ns);
            Netns.attach(ns, "eth0", FRONT_NET, ns + "-f", HOST_IP[i] + "/26");
        }
        for (int i = 0; i < 3; i++) {
            String ns = "atp-dev" + (i + 1);
            Netns.namespace(ns);
            Netns.attach(ns, "eth0", FRONT_NET, ns + "-f", DEVICE_IP[i] + "/26");
        }
        Netns.namespace("atp-inet");
        Netns.attach("atp-inet", "eth0", FRONT_NET, "atp-inet-f", ORIGIN_IP + "/26");
    }

    static Role role(String name, String ns, List<String> command) throws IOException {
        Role r = Role.start(name, ns, dir, command, Map.of("AIMLIB_LOG_LEVEL", "INFO"));
        roles.add(r);
        return r;
    }

    static String jdbcUrl(String database) {
        return "jdbc:postgresql://" + DB_IP + ":" + PG_PORT + "/" + database + "?sslmode=disable";
    }

    static void database() throws Exception {
        cluster = NetworkPostgres.prepare(dir, DB_IP, PG_PORT);
        Role pg = role("postgres", "atp-db", cluster.command());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), cluster.user(), cluster.password());
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE aimlib");
                break;
            } catch (java.sql.SQLException e) {
                if (!pg.process.isAlive() || System.nanoTime() > end) {
                    throw new AssertionError("PostgreSQL on " + DB_IP + " did not come up: " + e + "\n" + pg.tail(), e);
                }
                Thread.sleep(200);
            }
        }
        // The migration Job: once, from a gateway's machine, before any replica starts.
        Role migrate = role("migrate", "atp-gw1", Role.java("com.aimlib.Main", List.of("migrate",
                "--db-url", jdbcUrl("aimlib"), "--db-user", cluster.user(), "--db-password", cluster.password())));
        assertThat(migrate.awaitExit(Duration.ofSeconds(120))).as(migrate.tail()).isZero();
        db = Database.open(jdbcUrl("aimlib"), cluster.user(), cluster.password(), 4, null, false);
    }

    static void replicas() throws Exception {
        Path key = dir.resolve("server.key");
        SecretBox box = SecretBox.fromKeyFile(key);
        accounts = new Accounts(db, box);
        for (int i = 0; i < 2; i++) {
            Path data = Files.createDirectories(dir.resolve("gw" + (i + 1)));
            Files.copy(key, data.resolve("server.key"));
            gateways[i] = role("gateway" + (i + 1), "atp-gw" + (i + 1), Role.java("com.aimlib.Main", List.of("gateway",
                    "--bind", "0.0.0.0", "--public-host", LB_IP, "--public-url", "http://" + LB_IP + ":" + API, "--port", "7780", "--socks-port", "1080",
                    "--http-proxy-port", "3128", "--tunnel-port", "7783", "--peer-port", "7784", "--peer-advertise", GW_FRONT_IP[i],
                    "--proxy-protocol", "true", "--rate-limit-store", "postgres", "--operator-key", OPERATOR_KEY,
                    "--data-dir", data.toString(), "--no-migrate", "--db-pool-size", "8",
                    "--db-url", jdbcUrl("aimlib"), "--db-user", cluster.user(), "--db-password", cluster.password())));
        }
        for (Role g : gateways) {
            g.awaitLine("aimlib gateway is up", Duration.ofSeconds(120));
        }
    }

    static void balancer() throws Exception {
        StringBuilder cfg = new StringBuilder("""
                global
                    log stderr format raw local0 err
                    maxconn 8000
                defaults
                    log global
                    timeout connect 3s
                    timeout client 60s
                    timeout server 60s
                    timeout tunnel 1h
                    retries 3
                    option redispatch
                listen stats
                    bind %s:%d
                    mode http
                    stats enable
                    stats uri /stats
                """.formatted(LB_IP, STATS));
        // name, front port, gateway port, mode, server options
        String[][] services = {
                {"api", String.valueOf(API), "7780", "http", "check inter 500 fall 2 rise 1"},
                {"socks", String.valueOf(SOCKS), "1080", "tcp", "send-proxy-v2 check check-send-proxy inter 500 fall 2 rise 1"},
                {"httpproxy", String.valueOf(HTTP_PROXY), "3128", "tcp", "send-proxy-v2 check check-send-proxy inter 500 fall 2 rise 1"},
                {"tunnel", String.valueOf(TUNNEL), "7783", "tcp", "send-proxy-v2 check check-send-proxy inter 500 fall 2 rise 1"}};
        for (String[] s : services) {
            int front = Integer.parseInt(s[1]);
            cfg.append("""
                    listen %s
                        bind %s:%d
                        mode %s
                        balance roundrobin
                    """.formatted(s[0], LB_IP, front, s[3]));
            if (s[3].equals("http")) {
                cfg.append("    http-response set-header X-Aimlib-Replica %s\n");
            }
            for (int i = 0; i < 2; i++) {
                cfg.append("    server gw%d %s:%s %s\n".formatted(i + 1, GW_FRONT_IP[i], s[2], s[4]));
            }
            for (int i = 0; i < 2; i++) { // pinned to one replica
                cfg.append("""
                        listen %s_gw%d
                            bind %s:%d
                            mode %s
                        """.formatted(s[0], i + 1, LB_IP, front + 1 + i, s[3]));
                if (s[3].equals("http")) {
                    cfg.append("    http-response set-header X-Aimlib-Replica %s\n");
                }
                cfg.append("    server gw%d %s:%s %s\n".formatted(i + 1, GW_FRONT_IP[i], s[2], s[4]));
            }
        }
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        Role lb = role("haproxy", "atp-lb", List.of("/usr/sbin/haproxy", "-db", "-f", file.toString()));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://" + LB_IP + ":" + STATS + "/stats;csv")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && serversUp(r.body()) == 2 * 4 * 2) {
                    break;
                }
            } catch (IOException e) {
                // not yet listening
            }
            if (!lb.process.isAlive() || System.nanoTime() > end) {
                throw new AssertionError("HAProxy's servers did not all come up: " + lb.tail());
            }
            Thread.sleep(200);
        }
    }

    /** HAProxy's CSV stats: column 1 proxy, 2 server name, 17 status; rows of servers (not FRONTEND/BACKEND). */
    static List<String[]> serverRows(String csv) {
        List<String[]> out = new ArrayList<>();
        for (String line : csv.split("\n")) {
            String[] c = line.split(",", -1);
            if (c.length > 20 && !line.startsWith("#") && !c[1].equals("FRONTEND") && !c[1].equals("BACKEND") && !c[0].equals("stats")) {
                out.add(c);
            }
        }
        return out;
    }

    static long serversUp(String csv) {
        return serverRows(csv).stream().filter(c -> c[17].startsWith("UP")).count();
    }

    /** Total sessions ({@code stot}, column 7) HAProxy's {@code proxy} passed to each of its servers. */
    static Map<String, Long> sessionsPerServer(String proxy) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + LB_IP + ":" + STATS + "/stats;csv")).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Long> out = new HashMap<>();
        for (String[] c : serverRows(r.body())) {
            if (c[0].equals(proxy)) {
                out.put(c[1], Long.parseLong(c[7]));
            }
        }
        return out;
    }

    static void internetAndDevices() throws Exception {
        origin = role("origin", "atp-inet", Role.java(TopologyOrigin.class.getName(),
                List.of(ORIGIN_IP, String.valueOf(ORIGIN_HTTP), String.valueOf(ORIGIN_ECHO))));
        origin.awaitLine("origin up", Duration.ofSeconds(60));
        customer = accounts.createCustomer("topology", 4);
        AgentStore agents = new AgentStore(db);
        for (int i = 0; i < 3; i++) {
            Accounts.Device d = accounts.createDevice("topology-" + (i + 1), "local", "TopoCarrier", 2, null);
            devices.add(d);
            Accounts.Lease lease = accounts.createLease(customer.id(), d.id(), null, "socks5");
            proxies.add(accounts.proxyForLease(lease.id()).orElseThrow());
            String token = agents.mintToken(d.id()).orElseThrow().token();
            role("agent" + (i + 1), "atp-dev" + (i + 1), Role.java("com.aimlib.Main", List.of("agent",
                    "--gateway", LB_IP + ":" + TUNNEL, "--device-id", d.id().toString(), "--token", token,
                    "--carrier", "TopoCarrier", "--what-is-my-ip-url", "http://" + ORIGIN_IP + ":" + ORIGIN_HTTP + "/ip",
                    "--egress-allow", ORIGIN_IP + ":" + ORIGIN_HTTP + "," + ORIGIN_IP + ":" + ORIGIN_ECHO,
                    // the third device has one tunnel connection: one replica holds it, the other must route to it
                    "--pool", i == 2 ? "1" : "2")));
        }
        for (Role r : roles) {
            if (r.name.startsWith("agent")) {
                r.awaitLine("aimlib agent is up", Duration.ofSeconds(60));
            }
        }
        await(() -> devices.stream().allMatch(d -> "online".equals(status(d.id()))), Duration.ofSeconds(60), "all devices online");
    }


    /**
     * Two browser hosts, each on its own machine with no route to the database: a credential minted through the
     * operator API (through the balancer), handed over as a token file, and nothing else: the host reaches the
     * gateways' API and SOCKS5 front through HAProxy only, and advertises its own address for orders and CDP.
     */
    static void browserHosts() throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = post(API, "/admin/v1/hosts", OPERATOR_KEY,
                    "{\"name\":\"topology-host-" + (i + 1) + "\",\"region\":\"local\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            JsonNode cred = JSON.readTree(r.body());
            hostIds[i] = UUID.fromString(cred.get("id").asText());
            hostTokens[i] = cred.get("token").asText();
            Path tokenFile = dir.resolve("host" + (i + 1) + ".token");
            Files.writeString(tokenFile, hostTokens[i] + "\n");
            Path work = Files.createDirectories(dir.resolve("host" + (i + 1)));
            hosts[i] = role("host" + (i + 1), "atp-host" + (i + 1), Role.java("com.aimlib.Main", List.of("host",
                    "--gateway", "http://" + LB_IP + ":" + API, "--token-file", tokenFile.toString(),
                    "--upstream", "socks5://" + LB_IP + ":" + SOCKS, "--listen", "0.0.0.0:9230",
                    "--advertise", "http://" + HOST_IP[i] + ":9230", "--capacity", "2", "--work-dir", work.toString(),
                    "--egress-probe-url", "http://" + ORIGIN_IP + ":" + ORIGIN_HTTP + "/ip")));
        }
        for (int i = 0; i < 2; i++) {
            assertThat(hosts[i].awaitLine("aimlib host is up", Duration.ofSeconds(120))).contains("id=" + hostIds[i]);
        }
        customerKey = accounts.mintKey(customer.id(), "topology", Accounts.CUSTOMER_SCOPES, null).plaintext();
    }

    static HttpResponse<String> post(int port, String path, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + LB_IP + ":" + port + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String sessionStatus(UUID session) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM browser_sessions WHERE id = :id").bind("id", session)
                .mapTo(String.class).one());
    }

    static UUID sessionHost(UUID session) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT host_id FROM browser_sessions WHERE id = :id").bind("id", session)
                .mapTo(UUID.class).one());
    }

    /**
     * Playwright for Java connects over CDP to the session through one replica (HAProxy's front pinned to it), opens
     * a page on the what-is-my-IP origin and reads the device's own address: the browser on its host reached the
     * internet through the gateways' SOCKS5 front and the device's agent.
     */
    static void drive(Playwright pw, Session s, int replica) {
        String ws = "ws://" + LB_IP + ":" + (API + 1 + replica) + "/cdp/" + s.id();
        Browser br = pw.chromium().connectOverCDP(ws, new BrowserType.ConnectOverCDPOptions()
                .setHeaders(Map.of("Authorization", "Bearer " + s.connectToken())).setTimeout(60_000));
        try {
            Page page = br.contexts().get(0).newPage();
            page.navigate("http://" + ORIGIN_IP + ":" + ORIGIN_HTTP + "/ip/session/" + s.id());
            assertThat(page.textContent("body").trim()).as("session on device %d driven through gw%d", s.device() + 1, replica + 1)
                    .isEqualTo(DEVICE_IP[s.device()]);
            page.close();
        } finally {
            br.close();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    static void await(BooleanSupplier ok, Duration within, String what) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                StringBuilder tails = new StringBuilder();
                for (Role r : roles) {
                    tails.append('\n').append(r.tail());
                }
                throw new AssertionError("timed out waiting for " + what + tails);
            }
            Thread.sleep(100);
        }
    }

    static String status(UUID device) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM devices WHERE id = :id").bind("id", device)
                .mapTo(String.class).one());
    }

    /** Devices with a tunnel connection on the replica that advertises {@code peerIp}. */
    static Set<UUID> devicesHeldBy(String peerIp) {
        return new HashSet<>(db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT p.device_id FROM device_tunnel_presence p JOIN gateway_replicas r ON r.id = p.replica_id
                        WHERE r.peer_address LIKE :peer""").bind("peer", peerIp + ":%").mapTo(UUID.class).list()));
    }

    /** Tunnel connections the replica that advertises {@code peerIp} holds, over all devices. */
    static int tunnelsHeldBy(String peerIp) {
        return db.jdbi().withHandle(h -> h.createQuery("""
                        SELECT coalesce(sum(p.connections), 0) FROM device_tunnel_presence p JOIN gateway_replicas r ON r.id = p.replica_id
                        WHERE r.peer_address LIKE :peer""").bind("peer", peerIp + ":%").mapTo(Integer.class).one());
    }

    record CurlRun(int ok, int connects, List<String> failures) {
    }

    /**
     * {@code count} requests through {@code proxyUrl} by one curl, 16 at a time, each on a connection of its own
     * ({@code Connection: close}); paths {@code /<tag>/<i>}. Counts the 200s and the connections curl made.
     */
    static CurlRun curl(String proxyUrl, boolean tunnel, String tag, int count) throws Exception {
        Path config = dir.resolve("curl-" + tag + ".cfg");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append("url = \"http://").append(ORIGIN_IP).append(':').append(ORIGIN_HTTP).append('/').append(tag).append('/').append(i)
                    .append("\"\noutput = \"/dev/null\"\n");
        }
        Files.writeString(config, b);
        // --fail --fail-early: a broken path fails the run at its first error instead of timing every request out.
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--no-progress-meter", "--parallel", "--parallel-max", "16", "-x", proxyUrl,
                "-H", "Connection: close", "--connect-timeout", "10", "--max-time", "20", "--fail", "--fail-early", "-w", "%{http_code} %{num_connects} %{url}\\n", "-K", config.toString()));
        if (tunnel) {
            cmd.add("-p");
        }
        if (System.getenv("AIMLIB_TOPOLOGY_CURL_VERBOSE") != null) {
            cmd.add("-v");
        }
        Path err = dir.resolve("curl-" + tag + ".err");
        Path outFile = dir.resolve("curl-" + tag + ".out");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(outFile.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("curl " + tag + " still running after 180 s");
        }
        String out = Files.readString(outFile);
        int ok = 0;
        int connects = 0;
        List<String> failures = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[0].equals("200")) {
                ok++;
                connects += Integer.parseInt(f[1]);
            } else if (!line.isBlank()) {
                failures.add(line);
            }
        }
        if (ok != count) {
            failures.add("curl exit " + p.exitValue() + ": " + Files.readString(err).lines().filter(l -> l.startsWith("curl:")).limit(10).toList());
        }
        return new CurlRun(ok, connects, failures);
    }

    /** The origin's log: the source address of every request whose path starts with {@code /<tag>/}. */
    static List<String[]> seen(String tag) {
        List<String[]> out = new ArrayList<>();
        for (String line : origin.lines()) {
            String[] f = line.split(" ");
            if (f.length == 4 && f[0].equals("seen") && f[3].startsWith("/" + tag + "/")) {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * Proves {@code count} connections of device {@code i} through the balancer: half SOCKS5 (curl socks5h), a
     * quarter HTTP proxy (absolute-form GET), a quarter HTTP CONNECT; every one answered 200 from a connection
     * of its own, and the origin saw each of them from the device's own address.
     */
    static void proxyConnections(int i, int count, String round) throws Exception {
        Accounts.Proxy p = proxies.get(i);
        String auth = p.username() + ":" + p.password() + "@" + LB_IP;
        int socks = count / 2;
        int get = count / 4;
        int connect = count - socks - get;
        List<CurlRun> runs = List.of(
                curl("socks5h://" + auth + ":" + SOCKS, false, round + "-d" + i + "-socks", socks),
                curl("http://" + auth + ":" + HTTP_PROXY, false, round + "-d" + i + "-get", get),
                curl("http://" + auth + ":" + HTTP_PROXY, true, round + "-d" + i + "-connect", connect));
        int ok = runs.stream().mapToInt(CurlRun::ok).sum();
        int connects = runs.stream().mapToInt(CurlRun::connects).sum();
        List<String> failures = runs.stream().flatMap(r -> r.failures().stream()).toList();
        assertThat(failures).as("device %d: failed proxy requests", i + 1).isEmpty();
        assertThat(ok).as("device %d: 100 %% of the proxy connections answered", i + 1).isEqualTo(count);
        // Exactly one: curl retries a connection that dies before its answer on a fresh one, which would hide a failure.
        assertThat(connects).as("device %d: one new connection per request, none retried", i + 1).isEqualTo(count);
        List<String[]> seen = new ArrayList<>();
        for (String kind : List.of("socks", "get", "connect")) {
            seen.addAll(seen(round + "-d" + i + "-" + kind));
        }
        assertThat(seen).as("device %d: requests the origin saw", i + 1).hasSize(count);
        assertThat(seen).as("the origin sees device %d's own address", i + 1).allMatch(f -> f[1].equals(DEVICE_IP[i]));
    }

    static HttpResponse<String> api(String method, int port, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + LB_IP + ":" + port + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key);
        b.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("") : HttpRequest.BodyPublishers.noBody());
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A SOCKS5 connection (RFC 1928/1929) through {@code port} of the balancer to the origin's echo server. */
    static Socket socksToEcho(int port, Accounts.Proxy p) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(LB_IP, port), 10_000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(new byte[] {5, 1, 2});
        assertThat(in.readNBytes(2)).containsExactly(5, 2);
        ByteArrayOutputStream auth = new ByteArrayOutputStream();
        byte[] u = p.username().getBytes(StandardCharsets.UTF_8);
        byte[] w = p.password().getBytes(StandardCharsets.UTF_8);
        auth.write(1);
        auth.write(u.length);
        auth.write(u);
        auth.write(w.length);
        auth.write(w);
        out.write(auth.toByteArray());
        assertThat(in.readNBytes(2)).as("SOCKS5 login").containsExactly(1, 0);
        byte[] ip = java.net.InetAddress.getByName(ORIGIN_IP).getAddress();
        out.write(new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (ORIGIN_ECHO >> 8), (byte) ORIGIN_ECHO});
        byte[] reply = in.readNBytes(10);
        assertThat(reply[1]).as("SOCKS5 CONNECT reply").isZero();
        return s;
    }

    /** An HTTP CONNECT tunnel through {@code port} of the balancer to the origin's echo server. */
    static Socket connectToEcho(int port, Accounts.Proxy p) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(LB_IP, port), 10_000);
        s.setSoTimeout(10_000);
        String target = ORIGIN_IP + ":" + ORIGIN_ECHO;
        String basic = Base64.getEncoder().encodeToString((p.username() + ":" + p.password()).getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: Basic " + basic
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c == -1) {
                break;
            }
            head.write(c);
        }
        assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
        return s;
    }

    static void assertLive(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        s.getOutputStream().write('x');
        assertThat(s.getInputStream().read()).isEqualTo('x');
    }

    /** When the peer ended the connection, in ms from {@code since} (System.nanoTime()), or -1 if not within {@code limit}. */
    static long endedAfter(Socket s, long since, Duration limit) throws IOException {
        InputStream in = s.getInputStream();
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(since + limit.toNanos() - System.nanoTime());
            if (left <= 0) {
                return -1;
            }
            s.setSoTimeout((int) left);
            try {
                if (in.read() == -1) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
                }
            } catch (SocketTimeoutException e) {
                return -1;
            } catch (IOException e) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
        }
    }

    /** Whether a TCP connection from inside {@code ns} to {@code ip:port} is established (bash's /dev/tcp, 5 s). */
    static boolean tcpConnects(String ns, String ip, int port) throws IOException {
        return Netns.run(List.of("ip", "netns", "exec", ns, "timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + port)).exit() == 0;
    }

    // ---- the scenarios ---------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void browserHostMachinesHaveNoRouteToTheDatabase() throws Exception {
        assertThat(tcpConnects("atp-gw1", DB_IP, PG_PORT)).as("control: a gateway's machine reaches PostgreSQL").isTrue();
        for (int i = 0; i < 2; i++) {
            String ns = "atp-host" + (i + 1);
            assertThat(tcpConnects(ns, DB_IP, PG_PORT)).as("%s connects to PostgreSQL", ns).isFalse();
            assertThat(Netns.run(List.of("ip", "netns", "exec", ns, "ip", "route", "get", DB_IP)).exit())
                    .as("%s has a route to %s", ns, DB_IP).isNotZero();
            assertThat(tcpConnects(ns, LB_IP, API)).as("control: %s reaches the balancer", ns).isTrue();
        }
    }

    @Test
    @Order(2)
    void everyDeviceServesAThousandProxyConnectionsThroughTheBalancer() throws Exception {
        Map<String, Long> before = sessionsPerServer("socks");
        for (int i = 0; i < devices.size(); i++) {
            proxyConnections(i, CONNECTIONS_PER_DEVICE, "first");
        }
        Map<String, Long> after = sessionsPerServer("socks");
        for (String gw : List.of("gw1", "gw2")) {
            assertThat(after.get(gw) - before.getOrDefault(gw, 0L)).as("SOCKS5 connections HAProxy gave %s", gw).isGreaterThan(100);
        }
        // The tunnels are spread as HAProxy placed them; a device whose tunnels one replica holds is reached
        // through the other over the peer link, so both replicas must have answered for every device.
        UUID third = devices.get(2).id();
        assertThat(devicesHeldBy(GW_FRONT_IP[0]).contains(third) ^ devicesHeldBy(GW_FRONT_IP[1]).contains(third))
                .as("the third device's one tunnel is on exactly one replica (the other routed half its connections)").isTrue();
        // PROXY v2: the gateways saw each agent's own address, never the balancer's.
        for (int i = 0; i < 3; i++) {
            String from = "remote=/" + DEVICE_IP[i] + ":";
            assertThat(gateways[0].lines().stream().anyMatch(l -> l.contains("event=tunnel_up") && l.contains(from))
                    || gateways[1].lines().stream().anyMatch(l -> l.contains("event=tunnel_up") && l.contains(from)))
                    .as("a tunnel_up from %s", DEVICE_IP[i]).isTrue();
        }
        for (Role g : gateways) {
            assertThat(g.lines()).noneMatch(l -> l.contains("event=tunnel_up") && l.contains("remote=/" + LB_IP + ":"));
        }
        for (Accounts.Device d : devices) {
            String egress = db.jdbi().withHandle(h -> h.createQuery("SELECT current_egress_ip FROM devices WHERE id = :id")
                    .bind("id", d.id()).mapTo(String.class).findOne().orElse(null));
            assertThat(egress).as("the egress address %s reports", d.name()).isEqualTo(DEVICE_IP[devices.indexOf(d)]);
        }
    }

    @Test
    @Order(3)
    void theRateLimitHoldsAcrossReplicas() throws Exception {
        Accounts.Customer c = accounts.createCustomer("topology-rate", 1);
        String key = accounts.mintKey(c.id(), "rate", Accounts.CUSTOMER_SCOPES, null).plaintext();
        int total = 1150;
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> okByReplica = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> limitedByReplica = new ConcurrentHashMap<>();
        List<String> badBodies = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        long started = System.nanoTime();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 16; w++) {
                workers.add(pool.submit(() -> {
                    while (next.getAndIncrement() < total) {
                        HttpResponse<String> r = api("GET", API, "/v1/tickets", key);
                        statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        String replica = r.headers().firstValue("X-Aimlib-Replica").orElse("?");
                        if (r.statusCode() == 200) {
                            okByReplica.computeIfAbsent(replica, k -> new AtomicInteger()).incrementAndGet();
                        } else if (r.statusCode() == 429) {
                            limitedByReplica.computeIfAbsent(replica, k -> new AtomicInteger()).incrementAndGet();
                            if (!r.body().contains("\"error\":\"rate_limited\"") || r.headers().firstValue("Retry-After").isEmpty()) {
                                badBodies.add(r.headers().map() + " " + r.body());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get(5, TimeUnit.MINUTES);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        // Greedy refill: one token every 3.6 s of the run may come back on top of the 1000.
        int refilled = (int) Math.floor(seconds / 3.6);
        int ok = statuses.getOrDefault(200, new AtomicInteger()).get();
        int limited = statuses.getOrDefault(429, new AtomicInteger()).get();
        System.out.printf("topology rate limit: %d requests in %.1f s: %d x 200 %s, %d x 429 %s, statuses %s%n",
                total, seconds, ok, okByReplica, limited, limitedByReplica, statuses);
        assertThat(statuses.keySet()).as("only 200 and 429").containsOnly(200, 429);
        assertThat(ok).as("requests let through in %.1f s (1000 + one per 3.6 s)", seconds).isBetween(1000, 1000 + refilled);
        assertThat(ok + limited).isEqualTo(total);
        assertThat(badBodies).as("429s without the documented body and Retry-After").isEmpty();
        for (String gw : List.of("gw1", "gw2")) {
            assertThat(okByReplica.getOrDefault(gw, new AtomicInteger()).get()).as("200s from %s", gw).isGreaterThan(300);
            assertThat(limitedByReplica.getOrDefault(gw, new AtomicInteger()).get()).as("429s from %s", gw).isGreaterThan(10);
        }
        // Spent on both: each replica refuses the key now.
        for (int port : new int[] {API + 1, API + 2}) {
            HttpResponse<String> r = api("GET", port, "/v1/tickets", key);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        }
    }

    @Test
    @Order(4)
    void aSuspensionThroughOneReplicaStopsAProxyConnectionHeldOnTheOtherWithinASecond() throws Exception {
        Accounts.Proxy p = proxies.get(0);
        for (int through = 0; through < 2; through++) {
            int held = 1 - through;
            try (Socket socks = socksToEcho(SOCKS + 1 + held, p); Socket connect = connectToEcho(HTTP_PROXY + 1 + held, p)) {
                assertLive(socks);
                assertLive(connect);
                long t0 = System.nanoTime();
                HttpResponse<String> r = api("POST", API + 1 + through, "/admin/v1/customers/" + customer.id() + "/suspend", OPERATOR_KEY);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Aimlib-Replica")).contains("gw" + (through + 1));
                long socksEnded = endedAfter(socks, t0, Duration.ofSeconds(1));
                long connectEnded = endedAfter(connect, t0, Duration.ofSeconds(1));
                System.out.printf("topology suspension through gw%d: held on gw%d ended after %d ms (SOCKS5), %d ms (CONNECT)%n",
                        through + 1, held + 1, socksEnded, connectEnded);
                assertThat(socksEnded).as("SOCKS5 connection held on gw%d ended within 1 s of the suspension", held + 1).isBetween(0L, 1000L);
                assertThat(connectEnded).as("CONNECT held on gw%d ended within 1 s", held + 1).isBetween(0L, 1000L);
            }
            try (Socket again = new Socket()) {
                again.connect(new InetSocketAddress(LB_IP, SOCKS + 1 + held), 10_000);
                again.setSoTimeout(10_000);
                again.getOutputStream().write(new byte[] {5, 1, 2});
                DataInputStream in = new DataInputStream(again.getInputStream());
                in.readNBytes(2);
                byte[] u = p.username().getBytes(StandardCharsets.UTF_8);
                byte[] w = p.password().getBytes(StandardCharsets.UTF_8);
                ByteArrayOutputStream auth = new ByteArrayOutputStream();
                auth.write(1);
                auth.write(u.length);
                auth.write(u);
                auth.write(w.length);
                auth.write(w);
                again.getOutputStream().write(auth.toByteArray());
                byte[] login = in.readNBytes(2);
                if (login.length == 2 && login[1] == 0) {
                    byte[] ip = java.net.InetAddress.getByName(ORIGIN_IP).getAddress();
                    again.getOutputStream().write(new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (ORIGIN_ECHO >> 8), (byte) ORIGIN_ECHO});
                    byte[] reply = in.readNBytes(10);
                    assertThat(reply.length < 2 || reply[1] != 0).as("a suspended customer's new connection on gw%d is refused", held + 1).isTrue();
                }
            }
            HttpResponse<String> back = api("POST", API + 1 + through, "/admin/v1/customers/" + customer.id() + "/reactivate", OPERATOR_KEY);
            assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
            try (Socket s = socksToEcho(SOCKS + 1 + held, p)) {
                assertLive(s);
            }
        }
    }


    @Test
    @Order(5)
    void sessionsArePlacedOnBothHostsAndDrivenByPlaywrightThroughEitherReplica() throws Exception {
        for (int d = 0; d < 2; d++) {
            HttpResponse<String> r = post(API, "/v1/devices/" + devices.get(d).id() + "/browser", customerKey, "{}");
            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
            JsonNode c = JSON.readTree(r.body());
            UUID id = UUID.fromString(c.get("session_id").asText());
            await(() -> Set.of("ready", "idle", "active").contains(sessionStatus(id)) || "failed".equals(sessionStatus(id)),
                    Duration.ofSeconds(90), "session " + id + " ready");
            assertThat(sessionStatus(id)).isNotEqualTo("failed");
            sessions.add(new Session(id, c.get("connect_token").asText(), d, sessionHost(id)));
        }
        assertThat(sessions.stream().map(Session::host).toList()).as("one session on each host").containsExactlyInAnyOrder(hostIds);
        try (Playwright pw = Playwright.create()) {
            for (Session s : sessions) {
                for (int replica = 0; replica < 2; replica++) {
                    drive(pw, s, replica);
                }
            }
        }
    }

    @Test
    @Order(6)
    void aHostCredentialCannotTouchAnotherHostsSession() throws Exception {
        Assumptions.assumeTrue(sessions.size() == 2, "needs the sessions of the previous scenario");
        for (int i = 0; i < 2; i++) {
            int other = 1 - i;
            Session theirs = sessions.stream().filter(s -> s.host().equals(hostIds[other])).findFirst().orElseThrow();
            HttpResponse<String> self = post(API, "/host/v1/self", hostTokens[i], "{}");
            assertThat(self.statusCode()).as(self.body()).isEqualTo(200);
            assertThat(JSON.readTree(self.body()).get("host_id").asText()).isEqualTo(hostIds[i].toString());
            for (String[] report : new String[][] {{"failed", "{\"reason\":\"forged\"}"}, {"stopped", "{}"},
                    {"bytes", "{\"total\":1}"}, {"egress", "{\"egress_ip\":\"203.0.113.9\"}"}, {"identity-applied", "{}"}}) {
                for (int port : new int[] {API + 1, API + 2}) {
                    HttpResponse<String> r = post(port, "/host/v1/sessions/" + theirs.id() + "/" + report[0], hostTokens[i], report[1]);
                    assertThat(r.statusCode()).as("host %d reporting %s on host %d's session: %s", i + 1, report[0], other + 1, r.body())
                            .isEqualTo(404);
                    assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("session_not_found");
                }
            }
            assertThat(sessionStatus(theirs.id())).as("the other host's session is untouched").isIn("ready", "idle", "active");
        }
    }

    @Test
    @Order(100)
    void killingOneReplicaKeepsProxiesWorkingThroughTheOtherOnceTheAgentsReconnect() throws Exception {
        Set<UUID> onVictim = devicesHeldBy(GW_FRONT_IP[0]);
        System.out.printf("topology replica kill: before it, gw1 holds tunnels of %d devices, gw2 of %d%n",
                onVictim.size(), devicesHeldBy(GW_FRONT_IP[1]).size());
        assertThat(onVictim).as("HAProxy spread the agents' tunnels: gw1 holds some").isNotEmpty();
        gateways[0].kill(); // SIGKILL: no deregistration, its tunnels just drop
        long killed = System.nanoTime();
        // Every agent's pool (2 connections per device) is whole again, on gw2; gw2 expired gw1's registration.
        await(() -> tunnelsHeldBy(GW_FRONT_IP[1]) == 5 && devicesHeldBy(GW_FRONT_IP[0]).isEmpty(),
                Duration.ofSeconds(60), "every agent reconnected to gw2 and gw1 expired");
        System.out.printf("topology replica kill: agents whole on gw2 and gw1 expired after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        for (int i = 0; i < devices.size(); i++) {
            proxyConnections(i, 200, "afterkill");
        }
        assertThat(devices).allMatch(d -> "online".equals(status(d.id())));
        // The sessions on the (surviving) hosts were not failed and are driven through the surviving replica.
        for (Session s : sessions) {
            assertThat(sessionStatus(s.id())).as("session on device %d after the replica kill", s.device() + 1).isIn("ready", "idle", "active");
        }
        if (!sessions.isEmpty()) {
            try (Playwright pw = Playwright.create()) {
                for (Session s : sessions) {
                    drive(pw, s, 1);
                }
            }
        }
    }

    @Test
    @Order(110)
    void killingAHostMarksOnlyItsSessionsFailedWithinTenSeconds() throws Exception {
        Assumptions.assumeTrue(sessions.size() == 2, "needs the sessions of the placement scenario");
        Session doomed = sessions.stream().filter(s -> s.host().equals(hostIds[0])).findFirst().orElseThrow();
        Session survivor = sessions.stream().filter(s -> s.host().equals(hostIds[1])).findFirst().orElseThrow();
        // The machine dies: every process in its namespace (the host JVM and its Chromium) SIGKILLed at once.
        Netns.killAll("atp-host1");
        long t0 = System.nanoTime();
        await(() -> "failed".equals(sessionStatus(doomed.id())), Duration.ofSeconds(15), "the dead host's session failed");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("topology host kill: its session failed after %d ms%n", ms);
        assertThat(ms).as("failed after %d ms", ms).isLessThan(10_000);
        assertThat(sessionStatus(survivor.id())).as("the other host's session").isIn("ready", "idle", "active");
        try (Playwright pw = Playwright.create()) {
            drive(pw, survivor, 1);
        }
        assertThat(sessionStatus(survivor.id())).isIn("ready", "idle", "active");
    }
}
