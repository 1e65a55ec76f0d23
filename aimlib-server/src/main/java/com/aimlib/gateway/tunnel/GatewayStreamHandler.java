package com.aimlib.gateway.tunnel;

import com.aimlib.net.tunnel.TunnelProtocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The gateway end of one CONNECT stream. Until the agent answers it waits for the response HEADERS
 * and completes the open future (200) or fails it with the reason the agent gave. Then it is the
 * payload adapter of {@link DeviceStreams}: DATA frames in become {@code ByteBuf}s, END_STREAM becomes
 * {@link ChannelInputShutdownEvent}; written {@code ByteBuf}s become DATA frames and
 * {@link DeviceStreams.EndOfStream} an empty END_STREAM frame. The stream channel only returns flow-control
 * window for what it delivered, so a caller that stops reading stops the agent.
 */
final class GatewayStreamHandler extends ChannelDuplexHandler {
    private final CompletableFuture<Channel> result;
    private final Duration setupTimeout;
    private ScheduledFuture<?> timeout;
    private boolean open;
    private boolean inputShutdown;
    private boolean released;
    private boolean releasing;
    private ArrayDeque<Object> held;

    GatewayStreamHandler(CompletableFuture<Channel> result, Duration setupTimeout) {
        this.result = result;
        this.setupTimeout = setupTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (!open) {
                fail(DeviceStreamException.Reason.UNREACHABLE, "the device did not answer in time");
                ctx.close();
            }
        }, setupTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!open) {
            awaitingResponse(ctx, msg);
            return;
        }
        if (msg instanceof Http2DataFrame data) {
            boolean end = data.isEndStream();
            ByteBuf content = data.content();
            if (content.isReadable()) {
                deliver(ctx, content);
            } else {
                content.release();
            }
            if (end) {
                deliver(ctx, ChannelInputShutdownEvent.INSTANCE);
            }
        } else if (msg instanceof Http2HeadersFrame trailers) {
            if (trailers.isEndStream()) {
                deliver(ctx, ChannelInputShutdownEvent.INSTANCE);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Frames that arrive between the 200 and the caller's first read (it may still be installing its
     * handlers on another thread) are held here, not dropped at the pipeline's tail.
     */
    private void deliver(ChannelHandlerContext ctx, Object item) {
        if (!released) {
            if (held == null) {
                held = new ArrayDeque<>();
            }
            held.add(item);
        } else if (item == ChannelInputShutdownEvent.INSTANCE) {
            inputEnded(ctx);
        } else {
            ctx.fireChannelRead(item);
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (open && !released && !releasing) {
            // The caller turned auto-read on after adding its handlers from its own thread; their
            // handlerAdded is queued on this event loop ahead of the task below, so by then they receive.
            releasing = true;
            ctx.executor().execute(() -> {
                released = true;
                if (held != null) {
                    Object item;
                    while ((item = held.poll()) != null) {
                        deliver(ctx, item);
                    }
                    ctx.fireChannelReadComplete();
                }
            });
        }
        ctx.read();
    }

    private void awaitingResponse(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame headers)) {
            ReferenceCountUtil.release(msg);
            fail(DeviceStreamException.Reason.FAILED, "the device broke the stream set-up");
            ctx.close();
            return;
        }
        CharSequence status = headers.headers().status();
        int code = parseStatus(status);
        if (code >= 100 && code < 200) {
            return;
        }
        if (code != 200) {
            fail(reasonFor(code, headers.headers().get(TunnelProtocol.REASON)),
                    "the device refused the connection (status " + (code < 0 ? "missing" : code) + ")");
            ctx.close();
            return;
        }
        open = true;
        timeout.cancel(false);
        // The caller installs its handlers when the future completes, possibly on another thread: nothing
        // may be delivered before it asks for it.
        ctx.channel().config().setAutoRead(false);
        if (!result.complete(ctx.channel())) {
            ctx.close();
            return;
        }
        if (headers.isEndStream()) {
            deliver(ctx, ChannelInputShutdownEvent.INSTANCE);
        }
    }

    private void inputEnded(ChannelHandlerContext ctx) {
        if (!inputShutdown) {
            inputShutdown = true;
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    private static int parseStatus(CharSequence status) {
        if (status == null || status.length() != 3) {
            return -1;
        }
        try {
            return Integer.parseInt(status.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            ctx.write(new DefaultHttp2DataFrame(buf), promise);
        } else if (msg == DeviceStreams.EndOfStream.INSTANCE) {
            ctx.write(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (!open) {
            fail(DeviceStreamException.Reason.DEVICE_OFFLINE, "the tunnel closed before the device answered");
        }
        if (held != null) {
            held.forEach(ReferenceCountUtil::release);
            held = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(DeviceStreamException.Reason.FAILED, "stream failed");
        ctx.close();
    }

    private void fail(DeviceStreamException.Reason reason, String message) {
        result.completeExceptionally(new DeviceStreamException(reason, message));
    }

    /** The reason a proxy front sees for a refused CONNECT: the header wins, the status decides otherwise. */
    static DeviceStreamException.Reason reasonFor(int status, CharSequence reason) {
        String r = reason == null ? "" : reason.toString();
        return switch (r) {
            case TunnelProtocol.REASON_DNS -> DeviceStreamException.Reason.HOST_NOT_FOUND;
            case TunnelProtocol.REASON_REFUSED -> DeviceStreamException.Reason.CONNECTION_REFUSED;
            case TunnelProtocol.REASON_UNREACHABLE -> DeviceStreamException.Reason.UNREACHABLE;
            case TunnelProtocol.REASON_ROTATING -> DeviceStreamException.Reason.ROTATING;
            case TunnelProtocol.REASON_FORBIDDEN -> DeviceStreamException.Reason.EGRESS_FORBIDDEN;
            default -> status == 504 ? DeviceStreamException.Reason.UNREACHABLE
                    : status == 503 ? DeviceStreamException.Reason.ROTATING
                    : DeviceStreamException.Reason.FAILED;
        };
    }
}
