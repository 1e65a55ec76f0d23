package com.aimlib.gateway.tunnel;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/** Plain-socket servers on 127.0.0.1 that tunnelled streams connect to. */
final class LoopbackTargets implements AutoCloseable {
    private final java.util.List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Echoes every byte; at EOF writes "<bye>" and half-closes, so the other direction outlives ours. */
    int echo() throws IOException {
        return serve((s, in) -> {
            try (OutputStream out = s.getOutputStream()) {
                in.transferTo(out);
                out.write("<bye>".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                s.getInputStream().read();
            } catch (IOException ignored) {
                // the peer went away
            }
        });
    }

    /** Writes the connecting socket's source address and a newline, then echoes. */
    int whoAmI() throws IOException {
        return serve((s, in) -> {
            try {
                OutputStream out = s.getOutputStream();
                out.write((s.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.transferTo(out);
                s.close();
            } catch (IOException ignored) {
                // the peer went away
            }
        });
    }

    /** Writes as fast as the socket lets it until the peer goes; {@code written} counts the bytes. */
    int flood(AtomicLong written) throws IOException {
        return serve((s, in) -> {
            byte[] chunk = new byte[64 * 1024];
            try {
                OutputStream out = s.getOutputStream();
                while (true) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException ignored) {
                // the peer went away
            }
        });
    }

    /** An HTTP what-is-my-IP: answers the caller's source address. */
    String whatIsMyIp() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            byte[] body = ex.getRemoteAddress().getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        open.add(() -> server.stop(0));
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** A port nothing listens on. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private int serve(BiConsumer<Socket, InputStream> handler) throws IOException {
        ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    open.add(s);
                    Thread.ofVirtual().start(() -> {
                        try {
                            handler.accept(s, s.getInputStream());
                        } catch (IOException ignored) {
                            // the peer went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
