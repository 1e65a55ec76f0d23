package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.ErrorBody;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection's request/response flow, between the HTTP codec and the aggregator: requests are handed
 * on one at a time, so responses leave in request order however handlers finish (a pipelined request waits
 * here, and the socket stops being read once {@link #MAX_WAITING} objects wait, which bounds what a client can
 * queue); and the
 * client is held to {@link HttpLimits}' deadlines whenever the server is waiting for it. No deadline runs
 * while a handler holds a request, and none after a WebSocket upgrade (the flow leaves the pipeline).
 */
final class RequestFlow extends ChannelDuplexHandler {
    /** What the connection waits for; each phase but {@code HANDLING} has a deadline. */
    enum Phase { AWAITING_REQUEST, READING_HEADERS, READING_BODY, HANDLING, DONE }

    /** The pipeline name of {@link #byteWatch()}, which must sit before the codec. */
    static final String BYTE_WATCH = "bytes";

    /**
     * Decoded objects held for a connection before its socket stops being read: one pipelined GET (head and
     * empty last content) fits; a body is at most this many 8 KiB chunks ahead of its turn.
     */
    private static final int MAX_WAITING = 4;

    private final HttpLimits limits;
    private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>();
    /** A request was handed on and its final response is not written yet. */
    private boolean busy;
    /** A request's head was handed on and its last content not yet. */
    private boolean receiving;
    /** A request has begun on this connection: before that, the header deadline runs from the connection's opening. */
    private boolean started;
    /** Bytes arrived since the last request boundary. */
    private boolean bytesSeen;
    private boolean draining;
    private Phase phase;
    /** When the current phase's deadline passes, on the event loop's ticker. */
    private long deadlineAt;
    private ScheduledFuture<?> wakeup;
    private long wakeupAt;
    private Ticker ticker;
    private ChannelHandlerContext ctx;

    RequestFlow(HttpLimits limits) {
        this.limits = limits;
    }

    /** Sits before the codec and tells the flow that bytes arrived: the header deadline runs from the first. */
    ChannelInboundHandlerAdapter byteWatch() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof ByteBuf b && b.isReadable()) {
                    bytesSeen = true;
                    rearm();
                }
                c.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.ticker = ctx.executor() instanceof AbstractScheduledEventExecutor e ? e.ticker() : Ticker.systemTicker();
        rearm();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.DONE || !(msg instanceof HttpObject o)) {
            if (phase == Phase.DONE) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
            return;
        }
        waiting.add(o);
        drain();
    }

    /** Hands on what may go now: everything up to the next request head while a request is being answered. */
    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (phase != Phase.DONE && !waiting.isEmpty() && !(busy && waiting.peek() instanceof HttpRequest)) {
                HttpObject o = waiting.poll();
                if (o instanceof HttpRequest) {
                    busy = true;
                    receiving = true;
                    started = true;
                    bytesSeen = false;
                }
                if (o instanceof LastHttpContent) {
                    receiving = false;
                    bytesSeen = false;
                }
                ctx.fireChannelRead(o);
            }
        } finally {
            draining = false;
        }
        if (phase != Phase.DONE) {
            if (waiting.size() >= MAX_WAITING) {
                ctx.channel().config().setAutoRead(false);
            } else if (!busy || receiving) {
                ctx.channel().config().setAutoRead(true);
            }
            // Else a handler holds a request and little is queued: reading stays as it is. Pausing and resuming
            // the socket around every request cost two epoll_ctl calls each (GET /v1/devices 0.92x -> 0.94x of the
            // build before issue 9, bench/api/ab.sh), and a client that does not pipeline sends nothing meanwhile anyway. A raw handler
            // (the relay's upgrade) may have paused reads itself; this leaves that alone.
            rearm();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && isFinal(r.status())) {
            boolean upgrade = r.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
            boolean keepAlive = HttpUtil.isKeepAlive(r);
            promise = promise.unvoid();
            promise.addListener(f -> responded(upgrade, keepAlive && f.isSuccess()));
        }
        ctx.write(msg, promise);
    }

    private static boolean isFinal(HttpResponseStatus s) {
        return s.code() >= 200 || s.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
    }

    private void responded(boolean upgrade, boolean keepAlive) {
        if (phase == Phase.DONE) {
            return;
        }
        if (upgrade) {
            // The connection now carries WebSocket frames for as long as the relay lives: no HTTP deadlines.
            finish();
            ctx.pipeline().remove(this);
            if (ctx.pipeline().get(BYTE_WATCH) != null) {
                ctx.pipeline().remove(BYTE_WATCH);
            }
            return;
        }
        if (!keepAlive) {
            // The response's writer closes the connection; nothing after it is answered.
            finish();
            return;
        }
        busy = false;
        drain();
    }

    private void finish() {
        phase = Phase.DONE;
        cancelWakeup();
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
    }

    private Phase current() {
        if (!waiting.isEmpty() || (busy && !receiving)) {
            return Phase.HANDLING;
        }
        if (receiving) {
            return Phase.READING_BODY;
        }
        return bytesSeen || !started ? Phase.READING_HEADERS : Phase.AWAITING_REQUEST;
    }

    /**
     * Starts the deadline of the phase just entered; staying in a phase keeps its deadline (trickling does not
     * extend it). One wake-up task per connection is reused: a request costs no scheduling in the steady state.
     */
    private void rearm() {
        if (phase == Phase.DONE) {
            return;
        }
        Phase next = current();
        if (next == phase) {
            return;
        }
        phase = next;
        Duration d = switch (next) {
            case AWAITING_REQUEST -> limits.idleTimeout();
            case READING_HEADERS -> limits.headerTimeout();
            case READING_BODY -> limits.bodyTimeout();
            case HANDLING, DONE -> null;
        };
        if (d == null) {
            return;
        }
        long now = ticker.nanoTime();
        deadlineAt = now + d.toNanos();
        if (wakeup == null || wakeupAt > deadlineAt) {
            cancelWakeup();
            wakeAt(now, deadlineAt);
        }
    }

    private void wakeAt(long now, long at) {
        wakeupAt = at;
        wakeup = ctx.executor().schedule(this::wake, at - now, TimeUnit.NANOSECONDS);
    }

    private void wake() {
        wakeup = null;
        if (phase == Phase.DONE || phase == Phase.HANDLING) {
            return;
        }
        long now = ticker.nanoTime();
        if (now < deadlineAt) {
            wakeAt(now, deadlineAt);
        } else {
            expired(phase);
        }
    }

    private void cancelWakeup() {
        if (wakeup != null) {
            wakeup.cancel(false);
            wakeup = null;
        }
    }

    private void expired(Phase p) {
        if (!ctx.channel().isActive()) {
            return;
        }
        boolean partial = p == Phase.READING_BODY || (p == Phase.READING_HEADERS && bytesSeen);
        finish();
        if (!partial) {
            // Nothing was asked, so nothing is answered: an idle keep-alive connection just closes.
            ctx.close();
            return;
        }
        boolean body = p == Phase.READING_BODY;
        FullHttpResponse r = HttpDispatcher.errorResponse(408, new ErrorBody(ErrorCode.REQUEST_TIMEOUT,
                (body ? "the request body" : "the request headers") + " did not arrive within "
                        + spoken(body ? limits.bodyTimeout() : limits.headerTimeout())));
        ctx.channel().config().setAutoRead(true);
        ClosingReply.send(ctx, r);
    }

    private static String spoken(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish();
    }
}
