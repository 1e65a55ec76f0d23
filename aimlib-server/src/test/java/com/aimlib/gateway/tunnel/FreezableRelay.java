package com.aimlib.gateway.tunnel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback TCP relay that can turn into a black hole: bytes stop, nothing closes, like a dead mobile path. */
final class FreezableRelay implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile boolean frozen;

    FreezableRelay(int targetPort) throws IOException {
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    sockets.add(in);
                    sockets.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    void freeze(boolean on) {
        synchronized (lock) {
            frozen = on;
            lock.notifyAll();
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (lock) {
                        while (frozen) {
                            lock.wait();
                        }
                    }
                    out.write(buf, 0, n);
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                closeQuietly(to);
            }
        });
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        freeze(false);
        server.close();
        sockets.forEach(FreezableRelay::closeQuietly);
    }
}
