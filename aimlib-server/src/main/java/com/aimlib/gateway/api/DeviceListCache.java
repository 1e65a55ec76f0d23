package com.aimlib.gateway.api;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The serialised {@code GET /v1/devices} answer per customer, kept for {@link #TTL_NANOS}: under load
 * a customer's list is read from the database at most a few times a second. Changes made through this
 * gateway (leases, devices, suspensions) clear it at once; other replicas and egress-IP updates show
 * within the TTL.
 */
public final class DeviceListCache {
    public static final long TTL_NANOS = 500_000_000L;
    private static final int MAX_ENTRIES = 100_000;

    private record Entry(String json, long loadedAt) {
    }

    private final Map<UUID, Entry> entries = new ConcurrentHashMap<>();

    public String get(UUID customerId, Supplier<String> load) {
        long now = System.nanoTime();
        Entry e = entries.get(customerId);
        if (e != null && now - e.loadedAt() <= TTL_NANOS) {
            return e.json();
        }
        String json = load.get();
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(customerId, new Entry(json, now));
        return json;
    }

    public void invalidate() {
        entries.clear();
    }
}
