package com.aimlib.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address a connection really comes from. Behind a load balancer (HAProxy {@code send-proxy-v2}, or any that
 * speaks the PROXY protocol) every connection starts with a header naming the client; Netty's
 * {@link HAProxyMessageDecoder} reads it (v1 text or v2 binary), and this class keeps the client's address on the
 * channel, so per-source login back-off and logs see the customer, not the balancer. A listener that expects the
 * header closes a connection that does not start with one: otherwise anyone who can reach the port directly could
 * claim any source. A {@code LOCAL} header (the balancer's own health check) keeps the socket's address.
 */
public final class ClientAddress {
    private static final Logger log = LoggerFactory.getLogger(ClientAddress.class);
    private static final AttributeKey<InetSocketAddress> CLIENT = AttributeKey.valueOf("aimlib.clientAddress");

    private ClientAddress() {
    }

    /** The client's address: from the PROXY header when the listener expects one, else the socket's peer. */
    public static SocketAddress of(Channel ch) {
        InetSocketAddress a = ch.attr(CLIENT).get();
        return a != null ? a : ch.remoteAddress();
    }

    /** Adds the PROXY header's decoder in front of whatever {@code install} adds. */
    public static Consumer<SocketChannel> behindBalancer(Consumer<SocketChannel> install) {
        return ch -> {
            expectHeader(ch.pipeline());
            install.accept(ch);
        };
    }

    /** Adds, at the end of {@code pipeline} as it is now, what reads the PROXY header and then removes itself. */
    public static void expectHeader(ChannelPipeline pipeline) {
        pipeline.addLast("proxy-protocol-check", new FirstBytes());
        pipeline.addLast("proxy-protocol", new HAProxyMessageDecoder());
        pipeline.addLast("proxy-protocol-header", new Header());
    }

    /** Closes at once a connection whose first bytes cannot be a PROXY header (the decoder alone would wait for 108). */
    private static final class FirstBytes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                ProtocolDetectionResult<HAProxyProtocolVersion> r = HAProxyMessageDecoder.detectProtocol(b);
                if (r.state() == ProtocolDetectionState.INVALID) {
                    ReferenceCountUtil.release(msg);
                    log.info("event=proxy_header_missing remote={}", ctx.channel().remoteAddress());
                    ctx.close();
                    return;
                }
                if (r.state() == ProtocolDetectionState.DETECTED) {
                    ctx.pipeline().remove(this);
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static final class Header extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HAProxyMessage m)) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null) {
                    // A literal only (the decoder checked its form): never a name lookup.
                    InetAddress source = NetUtil.createInetAddressFromIpAddressString(m.sourceAddress());
                    if (source == null) {
                        log.info("event=proxy_header_bad_address remote={}", ctx.channel().remoteAddress());
                        ctx.close();
                        return;
                    }
                    ctx.channel().attr(CLIENT).set(new InetSocketAddress(source, m.sourcePort()));
                }
            } finally {
                m.release();
            }
            ctx.pipeline().remove(this);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // HAProxyProtocolException from the decoder: a malformed header. One line, no stack trace.
            log.info("event=proxy_header_invalid remote={} error={}", ctx.channel().remoteAddress(), cause.getClass().getSimpleName());
            ctx.close();
        }
    }
}
