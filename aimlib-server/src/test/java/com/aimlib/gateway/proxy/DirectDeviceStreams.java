package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreamException;
import com.aimlib.gateway.tunnel.DeviceStreamException.Reason;
import com.aimlib.gateway.tunnel.DeviceStreams;
import com.aimlib.net.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import io.netty.util.NetUtil;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Test-only {@link DeviceStreams} that "is" every device: it connects straight from this machine, and
 * only to loopback addresses. Devices can be marked offline or rotating. Stands in for the tunnel
 * until it lands.
 */
final class DirectDeviceStreams implements DeviceStreams, AutoCloseable {
    private final EventLoopGroup group = EventLoops.group(1, "direct-device");
    final Set<UUID> offline = ConcurrentHashMap.newKeySet();
    final Set<UUID> rotating = ConcurrentHashMap.newKeySet();

    /**
     * Like the tunnel: streams live on this stub's loop, so the front moves its client channel there
     * before opening (every front test exercises that move).
     */
    @Override
    public EventLoop streamLoop(UUID deviceId, EventLoop near) {
        return offline.contains(deviceId) || rotating.contains(deviceId) ? null : group.next();
    }

    @Override
    public CompletableFuture<Channel> open(UUID deviceId, String host, int port) {
        if (offline.contains(deviceId)) {
            return CompletableFuture.failedFuture(new DeviceStreamException(Reason.DEVICE_OFFLINE, "device offline"));
        }
        if (rotating.contains(deviceId)) {
            return CompletableFuture.failedFuture(new DeviceStreamException(Reason.ROTATING, "rotating"));
        }
        CompletableFuture<Channel> result = new CompletableFuture<>();
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            try {
                connect(InetAddress.getByAddress(literal), port, result);
            } catch (UnknownHostException e) {
                result.completeExceptionally(new DeviceStreamException(Reason.FAILED, host));
            }
            return result;
        }
        // Names are resolved off the event loop, like a device's resolver would.
        CompletableFuture.runAsync(() -> {
            try {
                connect(InetAddress.getByName(host), port, result);
            } catch (UnknownHostException e) {
                result.completeExceptionally(new DeviceStreamException(Reason.HOST_NOT_FOUND, host));
            }
        });
        return result;
    }

    private void connect(InetAddress address, int port, CompletableFuture<Channel> result) {
        if (!address.isLoopbackAddress()) {
            result.completeExceptionally(new DeviceStreamException(Reason.UNREACHABLE, "tests stay on loopback"));
            return;
        }
        new Bootstrap().group(group).channel(EventLoops.socketChannel())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 3000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new EndOfStreamHandler());
                    }
                })
                .connect(new InetSocketAddress(address, port)).addListener(f -> {
                    if (f.isSuccess()) {
                        result.complete(((io.netty.channel.ChannelFuture) f).channel());
                    } else if (f.cause() instanceof ConnectException) {
                        result.completeExceptionally(new DeviceStreamException(Reason.CONNECTION_REFUSED, "refused"));
                    } else {
                        result.completeExceptionally(new DeviceStreamException(Reason.UNREACHABLE, f.cause().toString()));
                    }
                });
    }

    /** Turns the contract's end-of-stream message into a TCP half-close, after what was written before it. */
    static final class EndOfStreamHandler extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg == EndOfStream.INSTANCE) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    if (ctx.channel() instanceof DuplexChannel d) {
                        d.shutdownOutput(promise);
                    } else {
                        promise.setSuccess();
                    }
                });
            } else {
                ctx.write(msg, promise);
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
