package com.aimlib.net;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Native epoll where the platform has it, NIO otherwise; one place decides for every surface. */
public final class EventLoops {
    private static final Logger log = LoggerFactory.getLogger(EventLoops.class);
    private static final boolean EPOLL = Epoll.isAvailable() && !Boolean.getBoolean("aimlib.nio");
    /** Benchmark switch: leaves loopback tunnels on the system's congestion control (see {@link #unpacedOnLoopback}). */
    private static final boolean KEEP_SYSTEM_CONGESTION_CONTROL = Boolean.getBoolean("aimlib.tunnel.systemCongestionControl");
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_CONGESTION_OPT = 13;
    /** TCP_CA_NAME_MAX in the kernel's headers. */
    private static final int TCP_CA_NAME_MAX = 16;
    private static final byte[] CUBIC = "cubic".getBytes(StandardCharsets.US_ASCII);
    private static final RawUnixChannelOption TCP_CONGESTION =
            new RawUnixChannelOption("TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION_OPT, CUBIC.length);

    private EventLoops() {
    }

    public static EventLoopGroup group(int threads, String name) {
        IoHandlerFactory io = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * The receive-buffer guess for sockets that carry proxied payload (client, tunnel and target
     * sockets): starts at 64 KiB and grows to 1 MiB while reads fill it; it shrinks again for small reads.
     * On loopback a bulk relay is bound by kernel work per call, not per byte alone: 1 MiB reads (with
     * 1 MiB tunnel DATA frames) cut the agent's CPU per GiB by a fifth against 256 KiB; 2 MiB gained
     * nothing and held more direct memory (bench/proxy/run.sh --streams tunnel).
     */
    public static AdaptiveRecvByteBufAllocator payloadReads() {
        return new AdaptiveRecvByteBufAllocator(2048, 64 << 10, 1 << 20);
    }

    /**
     * Keeps at most {@code bytes} not yet sent in a socket's kernel buffer (TCP_NOTSENT_LOWAT; epoll only).
     * For a multiplexed tunnel: bytes the kernel holds are sent first-in first-out, so on a slow link a bulk
     * stream's backlog there delays every other stream's frames; bytes Netty's HTTP/2 flow controller still
     * holds are scheduled fairly between streams.
     */
    public static void limitUnsent(Channel ch, int bytes) {
        if (ch instanceof EpollSocketChannel) {
            ch.config().setOption(EpollChannelOption.TCP_NOTSENT_LOWAT, (long) bytes);
        }
    }

    /**
     * Gives a tunnel socket whose peer is on this host (standalone, or an agent beside its gateway) CUBIC
     * congestion control instead of the system's choice, which on our machines is BBR. BBR paces its
     * packets; without the fq qdisc (lo has none) the kernel paces with a high-resolution timer per
     * burst, and in a VM every timer costs an exit. On loopback pacing buys nothing: CUBIC cut the agent's
     * CPU per relayed GiB by 15-20 % (bench/proxy/run.sh --streams tunnel, A/B with
     * {@code -Daimlib.tunnel.systemCongestionControl=true}; docs/benchmarks.md). A tunnel over a real link
     * keeps the system's choice. Best effort: a kernel without CUBIC leaves the socket as it was. Epoll only.
     */
    public static void unpacedOnLoopback(Channel ch, InetAddress peer) {
        if (!(ch instanceof EpollSocketChannel) || peer == null || !peer.isLoopbackAddress() || KEEP_SYSTEM_CONGESTION_CONTROL) {
            return;
        }
        try {
            ch.config().setOption(TCP_CONGESTION, ByteBuffer.wrap(CUBIC));
        } catch (ChannelException e) {
            log.debug("tunnel socket keeps the system congestion control error={}", e.getMessage());
        }
    }

    /** The congestion control a socket uses ({@code TCP_CONGESTION}), or null off epoll. */
    public static String congestionControl(Channel ch) {
        if (!(ch instanceof EpollSocketChannel)) {
            return null;
        }
        RawUnixChannelOption read = new RawUnixChannelOption("TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION_OPT, TCP_CA_NAME_MAX);
        ByteBuffer name = ch.config().getOption(read);
        byte[] bytes = new byte[name.remaining()];
        name.get(bytes);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }

    public static boolean nativeTransport() {
        return EPOLL;
    }
}
