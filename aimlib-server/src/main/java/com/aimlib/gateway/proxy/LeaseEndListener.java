package com.aimlib.gateway.proxy;

import java.util.UUID;

/**
 * Told when a lease ends, so the proxy front refuses its credentials at once and closes its open
 * connections. Call it after {@code Accounts.endLease} committed; other replicas notice through their
 * database poll within about a second.
 */
@FunctionalInterface
public interface LeaseEndListener {
    void leaseEnded(UUID leaseId);
}
