package com.aimlib.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Debian's dante SOCKS5 server on loopback, standing in for the gateway proxy front until it lands:
 * it listens on 127.0.0.1 and connects out from 127.0.0.2, so a server that sees 127.0.0.2 knows the
 * traffic went through it ("the device's egress address").
 */
public final class Danted implements AutoCloseable {
    public static final String EGRESS = "127.0.0.2";
    private final Process process;
    private final int port;
    private final Path dir;

    private Danted(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static Danted start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("danted");
        Path conf = dir.resolve("danted.conf");
        Files.writeString(conf, """
                logoutput: %s
                internal: 127.0.0.1 port = %d
                external: %s
                clientmethod: none
                socksmethod: none
                user.privileged: root
                user.unprivileged: nobody
                client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
                socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }
                socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }
                """.formatted(dir.resolve("danted.log"), port, EGRESS));
        Process p = new ProcessBuilder("/usr/sbin/danted", "-f", conf.toString(), "-p", dir.resolve("pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new Danted(p, port, dir);
            } catch (IOException e) {
                if (!p.isAlive()) {
                    throw new IOException("danted exited: " + Files.readString(dir.resolve("out.log")));
                }
                Thread.sleep(20);
            }
        }
        p.destroyForcibly();
        throw new IOException("danted did not start");
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
