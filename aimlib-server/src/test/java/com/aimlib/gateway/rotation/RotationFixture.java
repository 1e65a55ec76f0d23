package com.aimlib.gateway.rotation;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.agent.DeviceConfig;
import com.aimlib.agent.EgressPolicy;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.tunnel.AgentStore;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.Secrets;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Real parts for rotation tests and the rotation benchmark: devices served by real agents on loopback whose
 * binding is a file ({@code file:<path>}) that the rotate command rewrites (127.0.0.x → 127.0.0.y), a
 * what-is-my-IP HTTP server on 127.0.0.1 that answers the caller's source address (also the origin customers
 * reach through the proxy), an echo server, curl, and customer keys.
 */
public final class RotationFixture implements AutoCloseable {
    public static final EgressPolicy LOOPBACK = EgressPolicy.parse("127.0.0.0/8,::1");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Database db;
    final Accounts accounts;
    final AgentStore agents;
    final HttpServer whatIsMyIp;
    final ServerSocket echo;
    public final String operatorKey;
    private final List<AutoCloseable> owned = new ArrayList<>();

    public RotationFixture(Database db, Accounts accounts) throws IOException {
        this.db = db;
        this.accounts = accounts;
        this.agents = new AgentStore(db);
        whatIsMyIp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        whatIsMyIp.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        whatIsMyIp.createContext("/", ex -> {
            byte[] body = ex.getRemoteAddress().getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        whatIsMyIp.start();
        echo = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the peer went
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        operatorKey = "ak_op_" + Secrets.randomAlphanumeric(40);
        db.jdbi().useHandle(h -> h.createUpdate("""
                        INSERT INTO api_keys (id, kind, name, prefix, key_hash) VALUES (:id, 'operator', 'ops', 'ak_op_x', :hash)""")
                .bind("id", UUID.randomUUID()).bind("hash", Secrets.hash(operatorKey)).execute());
    }

    public String whatIsMyIpUrl() {
        return "http://127.0.0.1:" + whatIsMyIp.getAddress().getPort() + "/";
    }

    public int echoPort() {
        return echo.getLocalPort();
    }

    public record Tenant(Accounts.Customer customer, String key) {
    }

    public Tenant tenant() {
        Accounts.Customer c = accounts.createCustomer("c-" + UUID.randomUUID(), 5);
        return new Tenant(c, accounts.mintKey(c.id(), "k", Accounts.CUSTOMER_SCOPES, null).plaintext());
    }

    /** A device row with its agent token, and the file its binding is read from (holding {@code ip}). */
    public record Device(UUID id, String token, Path bindFile) {
        public String ip() throws IOException {
            return Files.readString(bindFile).trim();
        }
    }

    public Device device(String ip) throws IOException {
        UUID id = accounts.createDevice("d-" + UUID.randomUUID(), "local", null, 1, null).id();
        Path bind = Files.createTempFile("bind", ".addr");
        Files.writeString(bind, ip);
        return new Device(id, agents.mintToken(id).orElseThrow().token(), bind);
    }

    /** A lease of {@code device} to the tenant with a SOCKS5 proxy; answers the proxy row. */
    public Accounts.Proxy lease(Tenant t, Device d) {
        Accounts.Lease lease = accounts.createLease(t.customer().id(), d.id(), null, "socks5");
        return accounts.proxyForLease(lease.id()).orElseThrow();
    }

    /**
     * Starts an agent for {@code d} on {@code gateway} with the given rotate and restore commands ({@code %f} in
     * them stands for the binding file), and waits until the gateway stored the device's first egress IP.
     */
    public Agent agent(Gateway gateway, Device d, AgentSettings settings, String rotate, String restore) throws Exception {
        String f = d.bindFile().toString();
        Agent a = Agent.start("127.0.0.1", gateway.tunnelPort(), false,
                List.of(new DeviceConfig(d.id(), d.token(), "file:" + f, "TestCarrier",
                        rotate == null ? null : rotate.replace("%f", f), whatIsMyIpUrl(), 2,
                        restore == null ? null : restore.replace("%f", f))),
                settings.withEgress(LOOPBACK), 1);
        owned.add(a);
        String ip = d.ip();
        try {
            await(() -> gateway.tunnels().connections(d.id()) == 2 && ip.equals(column(d.id(), "current_egress_ip"))
                    && "online".equals(column(d.id(), "status")), Duration.ofSeconds(30), "agent of " + d.id() + " online with " + ip);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": connections=" + gateway.tunnels().connections(d.id())
                    + " ip=" + column(d.id(), "current_egress_ip") + " status=" + column(d.id(), "status")
                    + " agent=" + a.connected(d.id()) + " failure=" + a.lastFailure(d.id()));
        }
        return a;
    }

    public String column(UUID device, String column) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT " + column + "::text FROM devices WHERE id = :id")
                .bind("id", device).mapTo(String.class).one());
    }

    public interface Check {
        boolean ok() throws Exception;
    }

    public static void await(Check check, Duration within, String what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    public static HttpResponse<String> call(Gateway g, String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(g.baseUrl() + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + key);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    public static String socks(Gateway g, Accounts.Proxy p) {
        return "socks5h://" + p.username() + ":" + p.password() + "@127.0.0.1:" + g.socksPort();
    }

    public static String httpProxy(Gateway g, Accounts.Proxy p) {
        return "http://" + p.username() + ":" + p.password() + "@127.0.0.1:" + g.httpProxyPort();
    }

    public record Curl(int exit, String out, String err) {
    }

    /** curl with the given arguments (proxy variables of the environment removed), 20 s at most. */
    public static Curl curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.toLowerCase().endsWith("_proxy"));
        Path err = Files.createTempFile("curl", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("curl hung");
        }
        String e = Files.readString(err);
        Files.deleteIfExists(err);
        return new Curl(p.exitValue(), new String(out, StandardCharsets.UTF_8), e);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : owned.reversed()) {
            c.close();
        }
        whatIsMyIp.stop(0);
        echo.close();
    }
}
