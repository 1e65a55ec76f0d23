package com.aimlib.gateway.relay;

import io.netty.channel.Channel;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open client connections to sessions' browsers (the CDP relay's, the live view's), indexed by the lease and the
 * customer they belong to, so that a lease end or a suspension closes every one of them at once. A connection leaves
 * the index by itself when it closes.
 */
public final class AccessChannels {
    private final Map<UUID, Set<Channel>> byLease = new ConcurrentHashMap<>();
    private final Map<UUID, Set<Channel>> byCustomer = new ConcurrentHashMap<>();

    public void track(Channel client, UUID leaseId, UUID customerId) {
        byLease.computeIfAbsent(leaseId, k -> ConcurrentHashMap.newKeySet()).add(client);
        byCustomer.computeIfAbsent(customerId, k -> ConcurrentHashMap.newKeySet()).add(client);
        client.closeFuture().addListener(f -> {
            untrack(byLease, leaseId, client);
            untrack(byCustomer, customerId, client);
        });
    }

    /** The leases with an open connection now. */
    public java.util.Set<UUID> leases() {
        return java.util.Set.copyOf(byLease.keySet());
    }

    /** Closes every tracked connection of the lease; answers how many. */
    public int closeLease(UUID leaseId) {
        return closeAll(byLease.get(leaseId));
    }

    /** Closes every tracked connection of the customer; answers how many. */
    public int closeCustomer(UUID customerId) {
        return closeAll(byCustomer.get(customerId));
    }

    private static int closeAll(Set<Channel> open) {
        if (open == null) {
            return 0;
        }
        int n = 0;
        for (Channel c : open) {
            c.close();
            n++;
        }
        return n;
    }

    private static void untrack(Map<UUID, Set<Channel>> index, UUID key, Channel client) {
        index.computeIfPresent(key, (k, set) -> {
            set.remove(client);
            return set.isEmpty() ? null : set;
        });
    }
}
