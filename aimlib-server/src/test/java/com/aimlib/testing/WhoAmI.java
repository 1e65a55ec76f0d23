package com.aimlib.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A loopback web server that answers every request with the caller's address (a what-is-my-IP page); {@code /big} is
 * 1 MiB, {@code /download?x} a {@code Content-Disposition: attachment} file whose text is {@code "download x"}.
 */
public final class WhoAmI implements AutoCloseable {
    private final HttpServer server;
    public final List<String> seen = new CopyOnWriteArrayList<>();

    public WhoAmI() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            String ip = ex.getRemoteAddress().getAddress().getHostAddress();
            seen.add(ip + " " + ex.getRequestURI());
            byte[] body = ip.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.createContext("/big", ex -> {
            byte[] body = new byte[1024 * 1024];
            java.util.Arrays.fill(body, (byte) 'x');
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            } catch (IOException ignored) {
                // The client (a capped bridge) hung up.
            }
        });
        server.createContext("/download", ex -> {
            byte[] body = ("download " + ex.getRequestURI().getQuery()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"report.txt\"");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
