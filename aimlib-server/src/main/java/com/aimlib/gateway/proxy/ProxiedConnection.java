package com.aimlib.gateway.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client connection admitted for a lease: the unit that lease end and the device cap close, and
 * the place its bytes are charged.
 */
final class ProxiedConnection {
    /**
     * How long a connection whose device cap ran out may take to deliver the bytes already charged to it
     * before it is aborted (a client that stopped reading must not hold it forever).
     */
    static final long DRAIN_MILLIS = 5_000;

    final Channel client;
    final LeaseState lease;
    final DeviceBudget budget;
    private volatile Channel stream;
    private final AtomicBoolean finishing = new AtomicBoolean();

    ProxiedConnection(Channel client, LeaseState lease, DeviceBudget budget) {
        this.client = client;
        this.lease = lease;
        this.budget = budget;
    }

    void stream(Channel stream) {
        this.stream = stream;
        if (!client.isActive()) {
            stream.close();
        }
    }

    /**
     * Charges {@code n} payload bytes ({@code up}: client to target) against the device budget and the
     * lease; returns how many may be forwarded. The caller forwards the grant first and then, when it was
     * short, finishes every connection of the device ({@link #finishAllOf}).
     */
    int charge(int n, boolean up) {
        int granted = budget.charge(n, up);
        (up ? lease.pendingUp : lease.pendingDown).add(granted);
        return granted;
    }

    /**
     * The device's cap is spent: stop reading both sides, let what was already charged reach its
     * destination, then close. Billing only delivered bytes depends on this: an abrupt close drops the
     * outbound queue (up to the 256 KiB high-water mark plus the last read), which the client never got.
     */
    void finish() {
        if (!finishing.compareAndSet(false, true)) {
            return;
        }
        client.config().setAutoRead(false);
        Channel s = stream;
        if (s != null) {
            s.config().setAutoRead(false);
            s.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        client.eventLoop().schedule(this::close, DRAIN_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Aborts both sides (lease end, suspension, errors). Bytes charged but still queued in the gateway
     * are given back to the budget: they are dropped here and never reach anyone. Safe from any thread,
     * any number of times.
     */
    void close() {
        abort(client, false);
        Channel s = stream;
        if (s != null) {
            abort(s, true);
        }
    }

    private void abort(Channel ch, boolean up) {
        ProxyConnector.onLoop(ch, () -> {
            ChannelOutboundBuffer queued = ch.isActive() ? ch.unsafe().outboundBuffer() : null;
            long unsent = queued == null ? 0 : queued.totalPendingWriteBytes();
            if (unsent > 0) {
                budget.refund(unsent, up);
                (up ? lease.pendingUp : lease.pendingDown).add(-unsent);
            }
            ch.close();
        });
    }

    static void finishAllOf(DeviceBudget budget) {
        for (ProxiedConnection c : budget.connections) {
            c.finish();
        }
    }

    static void closeAllOf(LeaseState lease) {
        for (ProxiedConnection c : lease.connections) {
            c.close();
        }
    }
}
