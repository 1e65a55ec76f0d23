import com.aimlib.net.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A userspace stand-in for {@code tc netem delay … rate …} (this kernel has no sch_netem): TCP relays on
 * 127.0.0.1 whose bytes cross one emulated link between a "device side" and a "gateway side".
 *
 * <p>Each direction of the link is a bottleneck of {@code bitsPerSecond} (bytes leave one after another at that
 * rate, in packets of at most {@link #PACKET} bytes) followed by a fixed one-way delay; everything relayed in that
 * direction, over any number of TCP connections, shares the bottleneck, as the radio link of one device does.
 * In front of the bottleneck sits a bounded queue: {@code fifo} is one drop-tail-sized FIFO for all flows (a
 * plain router buffer), {@code fair} is one queue per connection served deficit-round-robin (what fq_codel or a
 * per-flow base-station scheduler does). A full queue is not dropped from: the relay stops reading that
 * connection, so the sender's TCP sees backpressure; bytes in the link (queued, in the delay line, or not yet
 * taken by the receiving socket) are also capped per connection at {@code flowWindow}, the stand-in for the
 * receiver's TCP window across the long path.
 *
 * <p>What it is not: the relays terminate TCP, so each kernel's congestion control sees loopback, not the
 * 100 ms path (no slow start or loss recovery across the link; both the direct baseline and the tunnel get the
 * same treatment). The single event-loop thread keeps all state confined; timers are epoll timerfd
 * (sub-millisecond), and late timers catch up so the average rate holds.
 */
final class LinkEmulator implements AutoCloseable {
    static final int PACKET = 8 * 1024;

    enum Mode { FIFO, FAIR }

    private final EventLoopGroup group = EventLoops.group(1, "link-emulator");
    private final EventLoop loop = group.next();
    private final List<Channel> servers = new ArrayList<>();
    final Direction up;   // device side -> gateway side
    final Direction down; // gateway side -> device side
    final long flowWindow;

    LinkEmulator(double bitsPerSecond, long oneWayDelayNanos, long queueBytes, Mode mode, long flowWindow) {
        this.flowWindow = flowWindow;
        this.up = new Direction("up", bitsPerSecond, oneWayDelayNanos, queueBytes, mode);
        this.down = new Direction("down", bitsPerSecond, oneWayDelayNanos, queueBytes, mode);
    }

    /**
     * Listens on 127.0.0.1 (ephemeral port, returned); each connection accepted there is relayed across the link
     * to 127.0.0.1:{@code targetPort}. {@code dialerOnDeviceSide}: whether the connecting peer sits on the
     * device side of the link (the agent dialing the gateway) or the gateway side (a client dialing an origin).
     */
    int relay(int targetPort, boolean dialerOnDeviceSide) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(EventLoops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_RCVBUF, 128 * 1024)
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, allocator())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel accepted) {
                        accepted.pipeline().addLast(new Side());
                        new Bootstrap().group(loop).channel(EventLoops.socketChannel())
                                .option(ChannelOption.AUTO_READ, false)
                                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                                .option(ChannelOption.TCP_NODELAY, true)
                                .option(ChannelOption.SO_RCVBUF, 128 * 1024)
                                .option(ChannelOption.RECVBUF_ALLOCATOR, allocator())
                                .handler(new Side())
                                .connect(new InetSocketAddress("127.0.0.1", targetPort))
                                .addListener((ChannelFutureListener) f -> {
                                    if (!f.isSuccess()) {
                                        accepted.close();
                                        return;
                                    }
                                    Channel target = f.channel();
                                    Flow fromDialer = new Flow(dialerOnDeviceSide ? up : down, accepted, target);
                                    Flow fromTarget = new Flow(dialerOnDeviceSide ? down : up, target, accepted);
                                    accepted.pipeline().get(Side.class).flow = fromDialer;
                                    target.pipeline().get(Side.class).flow = fromTarget;
                                    fromDialer.resume();
                                    fromTarget.resume();
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        servers.add(server);
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static AdaptiveRecvByteBufAllocator allocator() {
        AdaptiveRecvByteBufAllocator a = new AdaptiveRecvByteBufAllocator(1024, 16 * 1024, 64 * 1024);
        a.maxMessagesPerRead(1); // one socket read per read() call: the queue bound overshoots by ≤ 64 KiB
        return a;
    }

    @Override
    public void close() {
        servers.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One socket of a relayed pair: feeds what it reads into its flow. */
    private static final class Side extends ChannelInboundHandlerAdapter {
        Flow flow;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (flow == null) {
                b.release();
                return;
            }
            while (b.readableBytes() > PACKET) {
                flow.dir.enqueue(new Packet(flow, b.readRetainedSlice(PACKET), Packet.DATA));
            }
            flow.dir.enqueue(new Packet(flow, b, Packet.DATA));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (flow != null) {
                flow.reading = false;
                flow.resume();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownEvent.INSTANCE && flow != null && !flow.ended) {
                flow.ended = true;
                flow.dir.enqueue(new Packet(flow, null, Packet.FIN));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (flow != null && !flow.closed) {
                flow.closed = true;
                flow.ended = true;
                flow.dir.enqueue(new Packet(flow, null, Packet.CLOSE));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** One direction of one relayed connection. */
    final class Flow {
        final Direction dir;
        final Channel in;
        final Channel out;
        final ArrayDeque<Packet> queue = new ArrayDeque<>(); // FAIR mode only
        long queued;    // bytes waiting for the bottleneck
        long inLink;    // bytes read from `in` and not yet accepted by `out`'s socket
        long deficit;
        boolean reading;
        boolean ended;
        boolean closed;

        Flow(Direction dir, Channel in, Channel out) {
            this.dir = dir;
            this.in = in;
            this.out = out;
        }

        boolean mayRead() {
            return !ended && inLink < flowWindow && (dir.mode == Mode.FIFO ? dir.queued < dir.queueLimit : queued < dir.queueLimit);
        }

        void resume() {
            if (!reading && mayRead() && in.isActive()) {
                reading = true;
                in.read();
            } else if (!reading && !ended) {
                dir.blocked.add(this);
            }
        }
    }

    static final class Packet {
        static final int DATA = 0;
        static final int FIN = 1;
        static final int CLOSE = 2;
        final Flow flow;
        final ByteBuf buf;
        final int kind;
        final int size;
        long deliverAt;

        Packet(Flow flow, ByteBuf buf, int kind) {
            this.flow = flow;
            this.buf = buf;
            this.kind = kind;
            this.size = buf == null ? 0 : buf.readableBytes();
        }
    }

    /** A bottleneck (rate + bounded queue) followed by a delay line. Confined to the emulator's event loop. */
    final class Direction {
        final String name;
        final double nanosPerByte;
        final long delay;
        final long queueLimit;
        final Mode mode;
        final ArrayDeque<Packet> fifo = new ArrayDeque<>();
        final ArrayDeque<Flow> active = new ArrayDeque<>();
        final ArrayDeque<Packet> delayLine = new ArrayDeque<>();
        final Set<Flow> blocked = new LinkedHashSet<>();
        long queued;
        long freeAt;          // when the bottleneck finishes sending what it has taken
        boolean txScheduled;
        boolean rxScheduled;
        long sent;
        long maxQueued;
        final long[] lateMicros = new long[1 << 16]; // ring of recent DATA delivery lateness samples
        int lateCount;

        Direction(String name, double bitsPerSecond, long delay, long queueLimit, Mode mode) {
            this.name = name;
            this.nanosPerByte = 8e9 / bitsPerSecond;
            this.delay = delay;
            this.queueLimit = queueLimit;
            this.mode = mode;
        }

        void enqueue(Packet p) {
            long now = System.nanoTime();
            if (queued == 0 && fifo.isEmpty() && active.isEmpty() && freeAt < now) {
                freeAt = now; // an idle link accrues no credit
            }
            Flow f = p.flow;
            f.inLink += p.size;
            f.queued += p.size;
            queued += p.size;
            maxQueued = Math.max(maxQueued, queued);
            if (mode == Mode.FIFO) {
                fifo.add(p);
            } else {
                if (f.queue.isEmpty()) {
                    f.deficit = 0;
                    active.add(f);
                }
                f.queue.add(p);
            }
            if (!txScheduled) {
                transmit();
            }
        }

        private Packet next() {
            if (mode == Mode.FIFO) {
                return fifo.poll();
            }
            while (true) {
                Flow f = active.peek();
                if (f == null) {
                    return null;
                }
                Packet head = f.queue.peek();
                if (head.size > f.deficit) {
                    f.deficit += PACKET;
                    active.poll();
                    active.add(f);
                    continue;
                }
                f.queue.poll();
                f.deficit -= head.size;
                if (f.queue.isEmpty()) {
                    active.poll();
                    f.deficit = 0;
                }
                return head;
            }
        }

        private boolean hasQueued() {
            return mode == Mode.FIFO ? !fifo.isEmpty() : !active.isEmpty();
        }

        /** Moves packets through the bottleneck while it is free, into the delay line. */
        void transmit() {
            txScheduled = false;
            long now = System.nanoTime();
            boolean moved = false;
            while (freeAt <= now && hasQueued()) {
                Packet p = next();
                freeAt += (long) (p.size * nanosPerByte);
                p.deliverAt = freeAt + delay;
                p.flow.queued -= p.size;
                queued -= p.size;
                sent += p.size;
                delayLine.add(p);
                moved = true;
            }
            if (moved) {
                wake();
                if (!rxScheduled) {
                    deliver();
                }
            }
            if (hasQueued()) {
                txScheduled = true;
                loop.schedule(this::transmit, Math.max(0, freeAt - now), TimeUnit.NANOSECONDS);
            }
        }

        /** Hands packets whose delay has elapsed to the receiving sockets. */
        void deliver() {
            rxScheduled = false;
            long now = System.nanoTime();
            Set<Channel> flush = new LinkedHashSet<>();
            while (!delayLine.isEmpty() && delayLine.peek().deliverAt <= now) {
                Packet p = delayLine.poll();
                Flow f = p.flow;
                Channel out = f.out;
                switch (p.kind) {
                    case Packet.DATA -> {
                        lateMicros[lateCount++ & (lateMicros.length - 1)] = (now - p.deliverAt) / 1000;
                        int size = p.size;
                        out.write(p.buf).addListener(w -> {
                            f.inLink -= size;
                            f.resume();
                        });
                        flush.add(out);
                    }
                    case Packet.FIN -> {
                        out.flush();
                        if (out instanceof DuplexChannel d && out.isActive()) {
                            d.shutdownOutput();
                        }
                    }
                    default -> {
                        out.flush();
                        out.close();
                        f.in.close();
                    }
                }
            }
            flush.forEach(Channel::flush);
            if (!delayLine.isEmpty()) {
                rxScheduled = true;
                loop.schedule(this::deliver, delayLine.peek().deliverAt - now, TimeUnit.NANOSECONDS);
            }
        }

        /** How late the emulator delivered packets (timer and scheduling lag: its own noise), since the last call. */
        String lateness() {
            try {
                return loop.submit(() -> {
                    int n = Math.min(lateCount, lateMicros.length);
                    long[] s = java.util.Arrays.copyOf(lateMicros, n);
                    lateCount = 0;
                    if (n == 0) {
                        return name + " no packets";
                    }
                    java.util.Arrays.sort(s);
                    return String.format("%s %d packets late by p50 %.2f ms, p99 %.2f ms, max %.1f ms", name, n,
                            s[n / 2] / 1e3, s[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)] / 1e3, s[n - 1] / 1e3);
                }).get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Lets blocked readers go on once there is room again. */
        private void wake() {
            if (blocked.isEmpty()) {
                return;
            }
            List<Flow> again = new ArrayList<>(blocked);
            blocked.clear();
            for (Flow f : again) {
                f.resume();
            }
        }
    }
}
