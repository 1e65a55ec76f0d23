package com.aimlib.gateway.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Loopback origins for proxy tests: HTTP on 127.0.0.1 and ::1, HTTPS (self-signed, made by keytool),
 * a TCP echo server that half-closes after echoing, and a byte source that counts what it wrote.
 */
final class LocalServers implements AutoCloseable {
    final HttpServer http4;
    final HttpServer http6;
    final HttpsServer https;
    final ServerSocket echo;
    final ServerSocket source;
    /** Bytes the source server managed to write, across connections. */
    final AtomicLong sourceWritten = new AtomicLong();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    LocalServers() throws Exception {
        http4 = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        http6 = HttpServer.create(new InetSocketAddress(InetAddress.getByName("::1"), 0), 64);
        https = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        https.setHttpsConfigurator(new HttpsConfigurator(selfSigned()));
        for (HttpServer s : new HttpServer[] {http4, http6, https}) {
            s.createContext("/hello", LocalServers::hello);
            s.createContext("/bytes", LocalServers::bytes);
            s.setExecutor(threads);
            s.start();
        }
        echo = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"));
        source = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"));
        threads.submit(() -> accept(echo, LocalServers::echo));
        threads.submit(() -> accept(source, this::source));
    }

    int http4Port() {
        return http4.getAddress().getPort();
    }

    int http6Port() {
        return http6.getAddress().getPort();
    }

    int httpsPort() {
        return https.getAddress().getPort();
    }

    private static void hello(HttpExchange x) throws IOException {
        byte[] body = ("hello " + x.getRequestMethod() + " host=" + x.getRequestHeaders().getFirst("Host")
                + " proxyauth=" + x.getRequestHeaders().containsKey("Proxy-Authorization")
                + " from=" + x.getRemoteAddress().getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
        x.getRequestBody().readAllBytes();
        x.sendResponseHeaders(200, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    /** {@code /bytes?n=N}: N bytes of a repeating pattern. */
    private static void bytes(HttpExchange x) throws IOException {
        long n = Long.parseLong(x.getRequestURI().getQuery().substring(2));
        x.sendResponseHeaders(200, n);
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ('a' + i % 26);
        }
        try (OutputStream out = x.getResponseBody()) {
            while (n > 0) {
                int k = (int) Math.min(n, chunk.length);
                out.write(chunk, 0, k);
                n -= k;
            }
        } catch (IOException e) {
            // the client went away: nothing to do
        }
    }

    private interface Conn {
        void serve(Socket s) throws IOException;
    }

    private void accept(ServerSocket server, Conn conn) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.submit(() -> {
                    try (s) {
                        conn.serve(s);
                    } catch (IOException e) {
                        // connection reset by a test on purpose
                    }
                    return null;
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Echoes until the client half-closes, then half-closes too (so both directions are exercised). */
    private static void echo(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            out.flush();
        }
        out.write("|eof-seen".getBytes(StandardCharsets.US_ASCII));
        s.shutdownOutput();
        in.read();
    }

    /** Writes up to 1 GiB as fast as the connection takes it. */
    private void source(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        for (long i = 0; i < (1L << 30) / buf.length; i++) {
            out.write(buf);
            sourceWritten.addAndGet(buf.length);
        }
    }

    private static SSLContext selfSigned() throws Exception {
        Path dir = Files.createTempDirectory("aimlib-tls");
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "origin", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    @Override
    public void close() throws IOException {
        http4.stop(0);
        http6.stop(0);
        https.stop(0);
        echo.close();
        source.close();
        threads.shutdownNow();
    }
}
