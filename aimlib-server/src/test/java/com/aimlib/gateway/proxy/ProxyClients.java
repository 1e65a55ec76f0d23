package com.aimlib.gateway.proxy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Clients for proxy tests: curl as a process, and a byte-level SOCKS5 client to see exact reply codes. */
final class ProxyClients {
    private ProxyClients() {
    }

    record CurlResult(int exit, byte[] body, String stderr) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static CurlResult curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.toLowerCase().endsWith("_proxy"));
        Process p = pb.start();
        var stderr = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                stderr.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                stderr.complete(e.toString());
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("curl hung");
        }
        return new CurlResult(p.exitValue(), out, stderr.get(10, TimeUnit.SECONDS));
    }

    /** A SOCKS5 connection driven byte by byte. */
    static final class Socks implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;

        Socks(int port) throws IOException {
            socket = new Socket(InetAddress.getByName("127.0.0.1"), port);
            socket.setSoTimeout(10_000);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        /** Greeting offering username/password; returns the chosen method. */
        int greet() throws IOException {
            out.write(new byte[] {5, 1, 2});
            out.flush();
            byte[] r = in.readNBytes(2);
            return r.length < 2 ? -1 : r[1] & 0xff;
        }

        /** RFC 1929 exchange; returns the status byte (0 = success) or -1 when the server closed. */
        int auth(String user, String pass) throws IOException {
            byte[] u = user.getBytes(StandardCharsets.UTF_8);
            byte[] p = pass.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(1);
            b.write(u.length);
            b.write(u);
            b.write(p.length);
            b.write(p);
            out.write(b.toByteArray());
            out.flush();
            byte[] r = in.readNBytes(2);
            return r.length < 2 ? -1 : r[1] & 0xff;
        }

        /** Sends a request with a raw address field; returns REP, or -1 when the server closed. */
        int request(int command, int addressType, byte[] address, int port) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(new byte[] {5, (byte) command, 0, (byte) addressType});
            b.write(address);
            b.write(port >> 8);
            b.write(port);
            out.write(b.toByteArray());
            out.flush();
            byte[] head = in.readNBytes(4);
            if (head.length < 4) {
                return -1;
            }
            int len = switch (head[3]) {
                case 1 -> 4;
                case 4 -> 16;
                case 3 -> in.readUnsignedByte();
                default -> 0;
            };
            in.readNBytes(len + 2);
            return head[1] & 0xff;
        }

        int connectDomain(String host, int port) throws IOException {
            byte[] h = host.getBytes(StandardCharsets.US_ASCII);
            byte[] a = new byte[h.length + 1];
            a[0] = (byte) h.length;
            System.arraycopy(h, 0, a, 1, h.length);
            return request(1, 3, a, port);
        }

        int connectIpv4(int port) throws IOException {
            return request(1, 1, new byte[] {127, 0, 0, 1}, port);
        }

        /** Full handshake to {@code 127.0.0.1:port}; returns REP. */
        int open(String user, String pass, int port) throws IOException {
            if (greet() != 2 || auth(user, pass) != 0) {
                return -2;
            }
            return connectIpv4(port);
        }

        /** True when the server closed the connection (EOF or reset) within the socket timeout. */
        boolean closedByPeer() {
            try {
                return in.read() == -1;
            } catch (IOException e) {
                return !(e instanceof java.net.SocketTimeoutException);
            }
        }

        InputStream input() {
            return in;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
