package com.aimlib.agent;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** The end of an agent tunnel connection's pipeline: releases connection-level frames, closes on errors. */
final class AgentConnectionHandler extends ChannelInboundHandlerAdapter {
    private final DeviceAgent device;

    AgentConnectionHandler(DeviceAgent device) {
        this.device = device;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        device.log("tunnel_error", cause.toString());
        ctx.close();
    }
}
