package com.aimlib.gateway.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Back-off for guessed credentials (proxy logins, agent tokens): failures are counted per source
 * address (IPv6 per /64) and per user (proxy username, device id). A source past
 * {@link Settings#freeFailures} gets its attempts spaced by a growing step (capped at
 * {@link Settings#maxDelay}); attempts that would wait longer are refused after {@code maxDelay}
 * without being checked, so parallel connections do not buy more guesses.
 *
 * <p>Why a correct credential from a clean source is never delayed: an attacker controls its own sources
 * but not the victim's. The per-user count therefore only slows sources that have failed themselves
 * (their next attempts wait for the user's step, still checked) and the refusals of failed attempts; an
 * attempt from a source without recent failures is checked at once, and a success is answered at once.
 * So guessing one user from many addresses is slowed, and the customer the user belongs to keeps working.
 *
 * <p>Counts reset after a quiet {@link Settings#window} (no failure). Memory is bounded: each map keeps
 * the {@link Settings#maxTracked} most recently used entries (LRU), so a flood of fresh usernames or
 * addresses evicts old entries instead of growing the heap.
 */
public final class LoginThrottle {
    /**
     * @param freeFailures failures allowed at full speed (a person mistyping is never slowed)
     * @param window       quiet time after which a key's failures are forgotten
     * @param firstStep    the spacing after {@code freeFailures}; it doubles with each further failure
     * @param maxDelay     the longest any attempt is held
     * @param maxTracked   entries per map (sources, users)
     */
    public record Settings(int freeFailures, Duration window, Duration firstStep, Duration maxDelay, int maxTracked) {
        public static Settings defaults() {
            return new Settings(10, Duration.ofMinutes(1), Duration.ofMillis(50), Duration.ofSeconds(2), 65_536);
        }
    }

    /** What to do with an attempt before checking it: wait {@code delayNanos}, then check it or refuse it unchecked. */
    public record Wait(long delayNanos, boolean check) {
        static final Wait NOW = new Wait(0, true);
    }

    private static final class Failures {
        int count;
        long lastFailure;
        long nextSlot;
    }

    private final Settings settings;
    private final LongSupplier nanoTime;
    private final Map<InetAddress, Failures> bySource;
    private final Map<String, Failures> byUser;
    /** Entries in both maps: lets the common case (nobody failing) skip the lock. */
    private volatile int tracked;

    public LoginThrottle(Settings settings) {
        this(settings, System::nanoTime);
    }

    public LoginThrottle(Settings settings, LongSupplier nanoTime) {
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.bySource = lru(settings.maxTracked());
        this.byUser = lru(settings.maxTracked());
    }

    private static <K> Map<K, Failures> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Failures> eldest) {
                return size() > max;
            }
        };
    }

    /** The address a connection comes from, or null when it has none (embedded test channels). */
    public static InetAddress source(SocketAddress remote) {
        return remote instanceof InetSocketAddress a ? a.getAddress() : null;
    }

    /**
     * Runs {@code check} under the back-off: possibly after a delay (scheduled on {@code loop}, never
     * sleeping), possibly not at all ({@code refusal} instead); a result {@code failed} accepts is recorded
     * and may be held before it completes. A result that is not a failure is never held. When nothing
     * waits, the returned future is {@code check}'s own outcome, completed as soon as it is.
     */
    public <T> CompletableFuture<T> guard(ScheduledExecutorService loop, InetAddress source, String user,
                                          Supplier<CompletableFuture<T>> check, Predicate<T> failed, T refusal) {
        Wait w = beforeCheck(source, user);
        if (!w.check()) {
            return later(loop, w.delayNanos(), refusal);
        }
        CompletableFuture<T> result = w.delayNanos() == 0 ? check.get()
                : later(loop, w.delayNanos(), null).thenCompose(x -> check.get());
        return result.thenCompose(t -> {
            if (!failed.test(t)) {
                return CompletableFuture.completedFuture(t);
            }
            long hold = failed(source, user);
            return hold == 0 ? CompletableFuture.completedFuture(t) : later(loop, hold, t);
        });
    }

    private static <T> CompletableFuture<T> later(ScheduledExecutorService loop, long nanos, T value) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.schedule(() -> f.complete(value), nanos, TimeUnit.NANOSECONDS);
        return f;
    }

    /** Decides how an attempt from {@code source} for {@code user} (either may be null) proceeds. */
    public Wait beforeCheck(InetAddress source, String user) {
        if (tracked == 0) {
            return Wait.NOW;
        }
        synchronized (this) {
            long now = nanoTime.getAsLong();
            Failures s = live(bySource, key(source), now);
            if (s != null && s.count >= settings.freeFailures()) {
                long slot = Math.max(now, s.nextSlot);
                long wait = slot - now;
                if (wait > settings.maxDelay().toNanos()) {
                    return new Wait(settings.maxDelay().toNanos(), false);
                }
                s.nextSlot = slot + step(s.count);
                return new Wait(wait, true);
            }
            Failures u = live(byUser, user, now);
            if (s != null && u != null && u.count >= settings.freeFailures()) {
                return new Wait(step(u.count), true);
            }
            return Wait.NOW;
        }
    }

    /** Records a failed attempt; returns how long to hold its refusal (non-zero while the user is being guessed). */
    public synchronized long failed(InetAddress source, String user) {
        long now = nanoTime.getAsLong();
        InetAddress k = key(source);
        if (k != null) {
            count(bySource, k, now);
        }
        if (user != null) {
            Failures u = count(byUser, user, now);
            tracked = bySource.size() + byUser.size();
            return u.count > settings.freeFailures() ? step(u.count) : 0;
        }
        tracked = bySource.size() + byUser.size();
        return 0;
    }

    private <K> Failures count(Map<K, Failures> map, K key, long now) {
        Failures f = live(map, key, now);
        if (f == null) {
            f = new Failures();
            map.put(key, f);
        }
        f.count++;
        f.lastFailure = now;
        return f;
    }

    private <K> Failures live(Map<K, Failures> map, K key, long now) {
        if (key == null) {
            return null;
        }
        Failures f = map.get(key);
        if (f != null && now - f.lastFailure > settings.window().toNanos() && now - f.nextSlot > 0) {
            map.remove(key);
            tracked = bySource.size() + byUser.size();
            return null;
        }
        return f;
    }

    private long step(int failures) {
        int over = Math.min(30, Math.max(0, failures - settings.freeFailures()));
        return Math.min(settings.maxDelay().toNanos(), settings.firstStep().toNanos() << over);
    }

    /** IPv6 sources are counted per /64: one host usually holds a whole /64 and could rotate within it. */
    private static InetAddress key(InetAddress source) {
        if (!(source instanceof Inet6Address)) {
            return source;
        }
        byte[] a = Arrays.copyOf(source.getAddress(), 16);
        Arrays.fill(a, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
