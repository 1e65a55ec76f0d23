package com.aimlib.gateway.proxy;

import io.netty.channel.Channel;

/**
 * One client connection admitted for a lease: the unit that lease end and the device cap close, and
 * the place its bytes are charged.
 */
final class ProxiedConnection {
    final Channel client;
    final LeaseState lease;
    final DeviceBudget budget;
    private volatile Channel stream;

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
     * lease; returns how many may be forwarded. A short grant closes every connection of the device.
     */
    int charge(int n, boolean up) {
        int granted = budget.charge(n, up);
        (up ? lease.pendingUp : lease.pendingDown).add(granted);
        if (granted < n || budget.spent()) {
            closeAllOf(budget);
        }
        return granted;
    }

    /** Aborts both sides. Safe from any thread, any number of times. */
    void close() {
        client.close();
        Channel s = stream;
        if (s != null) {
            s.close();
        }
    }

    static void closeAllOf(DeviceBudget budget) {
        for (ProxiedConnection c : budget.connections) {
            c.close();
        }
    }

    static void closeAllOf(LeaseState lease) {
        for (ProxiedConnection c : lease.connections) {
            c.close();
        }
    }
}
