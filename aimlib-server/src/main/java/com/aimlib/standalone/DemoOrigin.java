package com.aimlib.standalone;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The standalone's own stand-in for "a site on the internet": a tiny HTTP server on loopback that the demo
 * device's egress policy allows (and nothing else on loopback), so the quick tour and the egress probes have a
 * target. Routes: {@code GET /} a small page saying it was reached through the device; {@code GET /ip} the
 * caller's address as plain text, the shape of the gateway's own {@code /ip}.
 */
public final class DemoOrigin implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private DemoOrigin(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Listens on 127.0.0.1:{@code port} (0: any free port). */
    public static DemoOrigin start(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("demo-origin-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", DemoOrigin::handle);
        server.start();
        return new DemoOrigin(server, executor);
    }

    /** {@code 127.0.0.1:port}, the entry that allows the demo device to reach it. */
    public String hostPort() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:port}, without a trailing slash. */
    public String url() {
        return "http://" + hostPort();
    }

    private static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String caller = ex.getRemoteAddress().getAddress().getHostAddress();
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                send(ex, 405, "application/json", "{\"error\":\"method_not_allowed\",\"message\":\"GET only\"}");
            } else if (path.equals("/")) {
                send(ex, 200, "text/html; charset=utf-8", "<!doctype html><title>aimlib demo origin</title>"
                        + "<h1>Reached through the device</h1><p>This page is aimlib standalone's demo origin. "
                        + "It saw your request come from " + caller + ", the device's address.</p>\n");
            } else if (path.equals("/ip")) {
                send(ex, 200, "text/plain; charset=utf-8", caller);
            } else {
                send(ex, 404, "application/json", "{\"error\":\"not_found\",\"message\":\"try / or /ip\"}");
            }
        }
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
