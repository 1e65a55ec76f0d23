package com.aimlib.gateway.cache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small cache for hot lookups on the request path (API keys, device lists). An entry is served
 * as is while younger than {@code freshNanos}; between that and {@code maxAgeNanos} it is still
 * served while one background load replaces it, so a busy key never waits for the database and
 * never sends a herd of identical queries; older than {@code maxAgeNanos} it is reloaded inline.
 * So no answer reflects the database as it was more than {@code maxAgeNanos} (plus one query) ago.
 * {@link #invalidateAll} drops everything, including loads that started before it.
 */
public final class RefreshAheadCache<K, V> {
    private static final Logger log = LoggerFactory.getLogger(RefreshAheadCache.class);

    private record Entry<V>(V value, long loadedAt, AtomicBoolean refreshing) {
    }

    private final long freshNanos;
    private final long maxAgeNanos;
    private final int maxEntries;
    private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    public RefreshAheadCache(long freshNanos, long maxAgeNanos, int maxEntries) {
        if (freshNanos <= 0 || maxAgeNanos < freshNanos) {
            throw new IllegalArgumentException("need 0 < fresh <= maxAge");
        }
        this.freshNanos = freshNanos;
        this.maxAgeNanos = maxAgeNanos;
        this.maxEntries = maxEntries;
    }

    public V get(K key, Function<K, V> loader) {
        Entry<V> e = entries.get(key);
        if (e != null) {
            long age = System.nanoTime() - e.loadedAt();
            if (age <= freshNanos) {
                return e.value();
            }
            if (age <= maxAgeNanos) {
                if (e.refreshing().compareAndSet(false, true)) {
                    Thread.startVirtualThread(() -> {
                        try {
                            load(key, loader);
                        } catch (RuntimeException ex) {
                            e.refreshing().set(false);
                            log.warn("background cache refresh failed cause={}", ex.toString());
                        }
                    });
                }
                return e.value();
            }
        }
        return load(key, loader);
    }

    private V load(K key, Function<K, V> loader) {
        long gen = generation.get();
        long started = System.nanoTime();
        V value = loader.apply(key);
        if (entries.size() >= maxEntries) {
            entries.clear();
        }
        if (generation.get() == gen) {
            entries.put(key, new Entry<>(value, started, new AtomicBoolean()));
        }
        return value;
    }

    /** Forgets every entry; loads already running when this is called are not stored. */
    public void invalidateAll() {
        generation.incrementAndGet();
        entries.clear();
    }
}
