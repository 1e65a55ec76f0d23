package com.aimlib.gateway.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client → browser direction of a CDP relay. Binary messages and control frames pass raw as they arrive (Chromium's
 * DevTools server closes the connection on a binary frame — tried with Chromium 156 — so nothing in one is
 * dispatched). A text
 * message (a CDP call) is held, raw, until its last frame, and judged by the {@link CdpGuard}: then its bytes are
 * forwarded as received, or a rewritten message is sent instead, or nothing is sent and the client gets the guard's
 * CDP error through the other direction ({@link FrameRelay#inject}) at the next message boundary. The unmasked text
 * is copied once for the guard; a held message is bounded by {@link CdpRelay#MAX_FRAME}.
 */
final class GuardedFrameRelay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(GuardedFrameRelay.class);
    static final long GATE_LIMIT_MS = 2_000;

    private final Channel browser;
    private final FrameRelay.Activity activity;
    private final CdpGuard guard;
    private final FrameRelay toClient;
    private final String session;
    private final FrameHeader header = new FrameHeader();
    private long payloadLeft;
    private long payloadAt;
    private boolean headerDone;
    /** Current frame is part of a held text message (else it passes through). */
    private boolean holding;
    private CompositeByteBuf held;
    private CompositeByteBuf text;
    /** A control frame may arrive between the frames of a held message; it passes, and holding resumes after it. */
    private boolean holdingBeforeControl;
    private boolean frameFin;
    private boolean frameControl;
    private boolean frameMasked;
    private final byte[] mask = new byte[4];
    private boolean dead;
    /** A frame passed raw is under way (its header went out): the relay's own calls wait for its end. */
    private boolean rawFrame;
    /** Inside a fragmented data message passed raw: no other data frame may go between its fragments. */
    private boolean rawMessage;
    private final java.util.ArrayDeque<ByteBuf> injected = new java.util.ArrayDeque<>();
    /** While above zero the client's bytes are parked, unread, until the relay's own calls are answered ({@link #gate}). */
    private int gates;
    private final java.util.ArrayDeque<ByteBuf> parked = new java.util.ArrayDeque<>();
    private ChannelHandlerContext context;
    private SpareTabs spares;
    private SpareFilter spareFilter;

    GuardedFrameRelay(Channel browser, FrameRelay.Activity activity, CdpGuard guard, FrameRelay toClient, String session) {
        this.browser = browser;
        this.activity = activity;
        this.guard = guard;
        this.toClient = toClient;
        this.session = session;
    }

    /** Sends the relay's own call (a whole masked text frame) to the browser at the next message boundary; event loop only. */
    void injectToBrowser(ByteBuf frame) {
        if (!rawFrame && !rawMessage && injected.isEmpty()) {
            browser.writeAndFlush(frame, browser.voidPromise());
        } else {
            injected.add(frame);
        }
    }

    private void flushInjected() {
        if (!rawFrame && !rawMessage && !injected.isEmpty()) {
            while (!injected.isEmpty()) {
                browser.write(injected.poll(), browser.voidPromise());
            }
            browser.flush();
        }
    }

    /**
     * Holds back everything the client sends from now until the answered {@link Runnable} runs (event loop only): the relay's calls already
     * written must have been answered before a client call may follow, because Chromium hands renderer-side overrides
     * to a navigation's new document only once the renderer has answered them.
     */
    Runnable gate() {
        gates++;
        boolean[] open = {false};
        Runnable r = () -> {
            if (!open[0]) {
                open[0] = true;
                ungate();
            }
        };
        if (context != null) {
            // Every call gets an answer (an error if the target went away); this only bounds a browser that stops answering.
            context.executor().schedule(r, GATE_LIMIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return r;
    }

    /** Ends one gate (through the {@link Runnable} {@link #gate} answered); the last one lets the parked bytes through in order. */
    private void ungate() {
        if (gates == 0 || --gates > 0 || context == null) {
            return;
        }
        while (gates == 0 && !parked.isEmpty() && !dead) {
            process(context, parked.poll());
        }
        browser.flush();
        if (gates == 0 && !dead) {
            context.channel().config().setAutoRead(browser.isWritable());
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity.traffic();
        if (gates > 0 || !parked.isEmpty()) {
            parked.add(in);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        process(ctx, in);
    }

    private void process(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            while (in.isReadable()) {
                if (!headerDone) {
                    if (!header.read(in)) {
                        break;
                    }
                    headerDone = true;
                    payloadLeft = header.length;
                    payloadAt = 0;
                    startFrame(ctx);
                    header.reset();
                    if (dead) {
                        return;
                    }
                }
                int n = (int) Math.min(payloadLeft, in.readableBytes());
                if (n > 0) {
                    ByteBuf part = in.readRetainedSlice(n);
                    payload(part);
                    payloadLeft -= n;
                }
                if (payloadLeft == 0) {
                    headerDone = false;
                    endFrame(ctx);
                }
            }
        } finally {
            in.release();
        }
        if (!browser.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void startFrame(ChannelHandlerContext ctx) {
        byte[] h = header.bytes();
        if (header.control()) {
            holdingBeforeControl = holding;
            holding = false;
        } else if (header.opcode == 1 || (header.opcode == 0 && holding)) {
            if (held == null) {
                held = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                text = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            }
            holding = true;
            if (text.readableBytes() + header.length > CdpRelay.MAX_FRAME) {
                log.warn("relay closing: client message over the limit session={}", session);
                release();
                dead = true;
                ctx.close();
                browser.close();
                return;
            }
        } else {
            holding = false;
        }
        if (holding) {
            held.addComponent(true, Unpooled.wrappedBuffer(h));
        } else {
            browser.write(Unpooled.wrappedBuffer(h), browser.voidPromise());
            rawFrame = true;
            if (!header.control()) {
                rawMessage = !header.fin;
            }
        }
        frameFin = header.fin;
        frameControl = header.control();
        frameMasked = header.masked;
        System.arraycopy(header.mask, 0, mask, 0, 4);
    }

    private void payload(ByteBuf part) {
        if (!holding) {
            browser.write(part, browser.voidPromise());
            payloadAt += part.readableBytes();
            return;
        }
        int n = part.readableBytes();
        byte[] plain = new byte[n];
        part.getBytes(part.readerIndex(), plain);
        if (frameMasked) {
            int at = (int) (payloadAt & 3);
            for (int i = 0; i < n; i++) {
                plain[i] ^= mask[(at + i) & 3];
            }
        }
        payloadAt += n;
        text.addComponent(true, Unpooled.wrappedBuffer(plain));
        held.addComponent(true, part);
    }

    private void endFrame(ChannelHandlerContext ctx) {
        if (rawFrame) {
            rawFrame = false;
            flushInjected();
        }
        if (frameControl) {
            holding = holdingBeforeControl;
            return;
        }
        if (!holding || !frameFin) {
            return;
        }
        holding = false;
        CdpGuard.Verdict v = guard.judge(text);
        switch (v) {
            case CdpGuard.Forward f -> {
                browser.write(held, browser.voidPromise());
                held = null;
            }
            case CdpGuard.Rewrite r -> browser.write(maskedText(r.message()), browser.voidPromise());
            case CdpGuard.Refuse r -> {
                log.info("cdp call refused session={} reason=\"{}\"", session, r.reason());
                toClient.inject(unmaskedText(r.reply()));
            }
            case CdpGuard.NewTab n -> newTab(ctx, n);
        }
        release();
    }

    /** The session's spare tabs and this connection's view of them; null: every create goes to the browser. */
    void spares(SpareTabs spares, SpareFilter filter) {
        this.spares = spares;
        this.spareFilter = filter;
    }

    /**
     * A blank new tab: answered with the session's ready spare tab if there is one ({@link SpareTabs}), else the
     * create goes to the browser as sent. Whatever the client sends meanwhile waits (a gate), so nothing of it can
     * reach the new tab before the client has heard of it.
     */
    private void newTab(ChannelHandlerContext ctx, CdpGuard.NewTab n) {
        java.util.concurrent.CompletableFuture<SpareTabs.Handed> claimed = spares == null ? null : spares.claim();
        if (claimed == null) {
            browser.write(held, browser.voidPromise());
            held = null;
            return;
        }
        ByteBuf create = held;
        held = null;
        Runnable open = gate();
        claimed.whenComplete((handed, e) -> ctx.executor().execute(() -> {
            if (dead || !ctx.channel().isActive()) {
                create.release();
            } else if (handed == null) {
                injectToBrowser(create);
            } else {
                create.release();
                spareFilter.reveal(handed.url());
                com.fasterxml.jackson.databind.node.ObjectNode reply = com.aimlib.gateway.http.Json.MAPPER.createObjectNode();
                if (n.id() != null) {
                    reply.set("id", n.id());
                }
                reply.putObject("result").put("targetId", handed.targetId());
                if (n.sessionId() != null) {
                    reply.put("sessionId", n.sessionId());
                }
                toClient.inject(unmaskedText(reply.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            open.run();
        }));
    }

    private void release() {
        if (held != null) {
            held.release();
            held = null;
        }
        if (text != null) {
            text.release();
            text = null;
        }
    }

    /** A single-frame text message as a client sends it (masked, RFC 6455 §5.3). */
    static ByteBuf maskedText(byte[] payload) {
        ByteBuf out = Unpooled.buffer(payload.length + 14);
        writeHeader(out, payload.length, true);
        byte[] m = new byte[4];
        ThreadLocalRandom.current().nextBytes(m);
        out.writeBytes(m);
        for (int i = 0; i < payload.length; i++) {
            out.writeByte(payload[i] ^ m[i & 3]);
        }
        return out;
    }

    /** A single-frame text message as a server sends it (unmasked). */
    static ByteBuf unmaskedText(byte[] payload) {
        ByteBuf out = Unpooled.buffer(payload.length + 10);
        writeHeader(out, payload.length, false);
        return out.writeBytes(payload);
    }

    private static void writeHeader(ByteBuf out, int length, boolean masked) {
        out.writeByte(0x81);
        int m = masked ? 0x80 : 0;
        if (length < 126) {
            out.writeByte(m | length);
        } else if (length < 65536) {
            out.writeByte(m | 126).writeShort(length);
        } else {
            out.writeByte(m | 127).writeLong(length);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        browser.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        browser.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        parked.forEach(ReferenceCountUtil::safeRelease);
        parked.clear();
        injected.forEach(ReferenceCountUtil::safeRelease);
        injected.clear();
        activity.closed();
        if (browser.isActive()) {
            browser.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
