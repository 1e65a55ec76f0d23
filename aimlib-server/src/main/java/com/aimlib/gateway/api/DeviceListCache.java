package com.aimlib.gateway.api;

import com.aimlib.gateway.cache.RefreshAheadCache;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The serialised {@code GET /v1/devices} answer per customer ({@link RefreshAheadCache}: fresh for
 * 0.5 s, refreshed in the background, never older than 1 s): under load a customer's list is read
 * from the database about twice a second, off the request path. Changes made through this gateway
 * (leases, devices, suspensions) clear it at once; other replicas and egress-IP updates show within 1 s.
 */
public final class DeviceListCache {
    private final RefreshAheadCache<UUID, String> cache = new RefreshAheadCache<>(500_000_000L, 1_000_000_000L, 100_000);

    public String get(UUID customerId, Supplier<String> load) {
        return cache.get(customerId, id -> load.get());
    }

    public void invalidate() {
        cache.invalidateAll();
    }
}
