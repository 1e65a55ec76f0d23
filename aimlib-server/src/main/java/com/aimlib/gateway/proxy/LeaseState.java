package com.aimlib.gateway.proxy;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** One lease as the proxy front sees it: whether it still admits traffic, its open connections, its unflushed bytes. */
final class LeaseState {
    final UUID leaseId;
    final UUID deviceId;
    /** Set when this is a browser session's bridge credential (issue 12): it ends with the session, its bytes go to {@link #leaseId}. */
    final UUID sessionId;
    private volatile boolean ended;
    final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();
    final LongAdder pendingUp = new LongAdder();
    final LongAdder pendingDown = new LongAdder();

    LeaseState(UUID leaseId, UUID deviceId) {
        this(leaseId, deviceId, null);
    }

    LeaseState(UUID leaseId, UUID deviceId, UUID sessionId) {
        this.leaseId = leaseId;
        this.deviceId = deviceId;
        this.sessionId = sessionId;
    }

    boolean ended() {
        return ended;
    }

    /** Marks the lease ended (or its customer suspended); new connections are refused from here on. Closing the open ones is the caller's job. */
    void end() {
        ended = true;
    }

    /** Admits traffic again: the customer was reactivated after a suspension ended the lease here. */
    void reopen() {
        ended = false;
    }
}
