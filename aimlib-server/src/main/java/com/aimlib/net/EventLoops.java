package com.aimlib.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Native epoll where the platform has it, NIO otherwise; one place decides for every surface. */
public final class EventLoops {
    private static final boolean EPOLL = Epoll.isAvailable() && !Boolean.getBoolean("aimlib.nio");

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

    public static boolean nativeTransport() {
        return EPOLL;
    }
}
