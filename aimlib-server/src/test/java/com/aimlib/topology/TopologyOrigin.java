package com.aimlib.topology;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The "internet" of the topology test, run as its own process in its own namespace: a what-is-my-IP web server
 * (every answer is the caller's address; each request is also printed as {@code seen <ip> <port> <path>} so the test
 * counts the connections and sources the origin saw) and a TCP echo server for connections held open.
 * Usage: {@code TopologyOrigin <address> <http-port> <echo-port>}.
 */
public final class TopologyOrigin {
    private TopologyOrigin() {
    }

    public static void main(String[] args) throws IOException {
        InetAddress address = InetAddress.getByName(args[0]);
        int httpPort = Integer.parseInt(args[1]);
        int echoPort = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(address, httpPort), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            String ip = ex.getRemoteAddress().getAddress().getHostAddress();
            synchronized (out) {
                out.println("seen " + ip + " " + ex.getRemoteAddress().getPort() + " " + ex.getRequestURI());
                out.flush();
            }
            byte[] body = ip.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            // One connection per request, and said so: a client must not reuse a connection this server closes.
            ex.getResponseHeaders().set("Connection", "close");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        ServerSocket echo = new ServerSocket(echoPort, 128, address);
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream o = s.getOutputStream()) {
                            in.transferTo(o);
                        } catch (IOException ignored) {
                            // the client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        synchronized (out) {
            out.println("origin up " + address.getHostAddress() + " http=" + httpPort + " echo=" + echoPort);
            out.flush();
        }
        // Runs until the test kills it; closes with stdin as well, so it never outlives its parent by accident.
        System.in.transferTo(OutputStream.nullOutputStream());
        System.exit(0);
    }
}
