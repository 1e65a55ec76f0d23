package com.aimlib.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * pgjdbc's way onto the embedded PostgreSQL's Unix socket ({@code socketFactory=} this class,
 * {@code socketFactoryArg=} the socket file): a {@link Socket} over the JDK's own Unix-domain
 * {@link SocketChannel}, so a query on a virtual thread parks instead of pinning its carrier (junixsocket's
 * native reads starved both carriers on two cores). Whatever host and port the driver asks for, it connects
 * to the socket file. {@code SO_TIMEOUT} is recorded but not enforced: the driver's default, no socket
 * timeout, is what the gateway uses.
 */
public final class UnixSocketFactory extends SocketFactory {
    private final Path socket;

    /** Called by pgjdbc with {@code socketFactoryArg}. */
    public UnixSocketFactory(String socketFile) {
        this.socket = Path.of(socketFile);
    }

    @Override
    public Socket createSocket() {
        return new UnixSocket(socket);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected();
    }

    private Socket connected() throws IOException {
        UnixSocket s = new UnixSocket(socket);
        s.connect(null, 0);
        return s;
    }

    /** The driver's view of one Unix-domain connection: streams, open/closed, and no-op TCP options. */
    private static final class UnixSocket extends Socket {
        private final Path path;
        private volatile SocketChannel channel;
        private volatile boolean closed;
        private int soTimeout;

        UnixSocket(Path path) {
            this.path = path;
        }

        @Override
        public void connect(SocketAddress ignored, int timeout) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            channel = ch;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public void bind(SocketAddress bindpoint) {
            // A Unix-domain client needs no local address.
        }

        @Override
        public InputStream getInputStream() throws IOException {
            SocketChannel ch = open();
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n <= 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    int n;
                    do {
                        n = ch.read(ByteBuffer.wrap(b, off, len));
                    } while (n == 0);
                    return n;
                }

                @Override
                public void close() throws IOException {
                    UnixSocket.this.close();
                }
            };
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            SocketChannel ch = open();
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }

                @Override
                public void close() throws IOException {
                    UnixSocket.this.close();
                }
            };
        }

        private SocketChannel open() throws IOException {
            SocketChannel ch = channel;
            if (ch == null || closed) {
                throw new IOException("socket " + path + " is not connected");
            }
            return ch;
        }

        @Override
        public boolean isConnected() {
            return channel != null;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            SocketChannel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }

        @Override
        public void setSoTimeout(int timeout) {
            soTimeout = timeout;
        }

        @Override
        public int getSoTimeout() {
            return soTimeout;
        }

        @Override
        public void setTcpNoDelay(boolean on) {
            // Not TCP.
        }

        @Override
        public boolean getTcpNoDelay() {
            return true;
        }

        @Override
        public void setKeepAlive(boolean on) {
            // Not TCP: a dead server closes the socket.
        }

        @Override
        public boolean getKeepAlive() {
            return false;
        }

        @Override
        public void setReceiveBufferSize(int size) {
            // The kernel's default for Unix sockets.
        }

        @Override
        public int getReceiveBufferSize() {
            return 212_992;
        }

        @Override
        public void setSendBufferSize(int size) {
            // The kernel's default for Unix sockets.
        }

        @Override
        public int getSendBufferSize() {
            return 212_992;
        }

        @Override
        public String toString() {
            return "UnixSocket[" + path + "]";
        }
    }
}
