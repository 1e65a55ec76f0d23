package com.aimlib.net.tunnel;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 PING keep-alive for either end of a tunnel: after every {@code pingInterval} without a byte read
 * it sends a PING (whose ACK counts as a read), and it closes the connection once nothing has been read
 * for {@code deadAfter}. Sits behind an {@link IdleStateHandler} made by {@link #idleDetector}.
 */
public final class KeepAliveHandler extends ChannelInboundHandlerAdapter {
    private final int pingsBeforeDead;
    private int idlePeriods;

    public KeepAliveHandler(TunnelSettings settings) {
        long ping = settings.pingInterval().toMillis();
        this.pingsBeforeDead = (int) Math.max(1, (settings.deadAfter().toMillis() + ping - 1) / ping);
    }

    /** The idle detector to put first in the pipeline, where it sees every byte read. */
    public static IdleStateHandler idleDetector(TunnelSettings settings) {
        return new IdleStateHandler(settings.pingInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            idlePeriods = idle.isFirst() ? 1 : idlePeriods + 1;
            if (idlePeriods >= pingsBeforeDead) {
                ctx.channel().close();
            } else {
                ctx.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
