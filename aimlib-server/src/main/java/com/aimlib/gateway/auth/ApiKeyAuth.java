package com.aimlib.gateway.auth;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.cache.RefreshAheadCache;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Handler;
import com.aimlib.gateway.http.Response;
import com.aimlib.store.Accounts;
import com.aimlib.store.Secrets;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer-key authentication as documented: a missing, malformed, unknown, revoked or expired key, or a
 * key of the wrong kind is 401 {@code {"error":"unauthorized"}}; a customer that is not active is 403
 * {@code lease_inactive}; a missing scope is 403 {@code forbidden}. Customer calls are then rate
 * limited per key, and every answer to an authenticated customer call carries the key's
 * {@code RateLimit-Policy} and {@code RateLimit} headers.
 *
 * <p>Key rows (with their customer) are cached by key hash ({@link RefreshAheadCache}: fresh for
 * 0.5 s, refreshed in the background, never used when older than 0.8 s), so the steady state costs no
 * database round trip on the request path; a revocation or suspension made in this process clears
 * the cache at once ({@link #invalidate}), other replicas see it within 0.8 s. {@code last_used_at}
 * is written in batches every few seconds, never on the request path.
 */
public final class ApiKeyAuth implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiKeyAuth.class);
    /** A key lookup younger than this is used as is; older ones are refreshed in the background. */
    public static final long CACHE_FRESH_NANOS = 500_000_000L;
    /** No lookup older than this is ever used: inside the promised 1 s for a revocation to take effect. */
    public static final long CACHE_MAX_AGE_NANOS = 800_000_000L;
    private static final long FLUSH_MILLIS = 5_000;

    private final Accounts accounts;
    private final Clock clock;
    private final RateLimiter limiter;
    private final RefreshAheadCache<String, Cached> cache = new RefreshAheadCache<>(CACHE_FRESH_NANOS, CACHE_MAX_AGE_NANOS, 100_000);
    private final Map<UUID, Instant> lastUsed = new ConcurrentHashMap<>();
    private final Thread flusher;
    /** Stops the flusher between two flushes, never inside one (a query cut by an interrupt logs a broken connection). */
    private final com.aimlib.Pacer flushPacer = new com.aimlib.Pacer();
    private volatile boolean closed;

    /** What the database said about one key hash (key null: unknown). */
    private record Cached(Accounts.ApiKey key, Accounts.Customer customer) {
    }

    public ApiKeyAuth(Accounts accounts, Clock clock) {
        this(accounts, clock, new RateLimiter(1000, clock));
    }

    public ApiKeyAuth(Accounts accounts, Clock clock, RateLimiter limiter) {
        this.accounts = accounts;
        this.clock = clock;
        this.limiter = limiter;
        this.flusher = Thread.ofVirtual().name("key-last-used").start(this::flushLoop);
    }

    /** Wraps {@code handler} so it runs only for a customer key holding {@code scope}, within its rate limit. */
    public Handler customer(String scope, Handler handler) {
        return request -> {
            Cached c = lookup(request.header("Authorization"), "customer");
            Accounts.Customer customer = c.customer();
            if (customer == null) {
                throw ApiException.unauthorized();
            }
            RateLimiter.Quota quota = limiter.acquire(c.key().id());
            try {
                if (!"active".equals(customer.status())) {
                    throw new ApiException(403, ErrorCode.LEASE_INACTIVE, "customer not active");
                }
                if (!c.key().scopes().contains(scope)) {
                    throw ApiException.forbidden("missing scope " + scope);
                }
                Response response = handler.handle(request.withPrincipal(new CustomerPrincipal(c.key().id(), customer.id(), c.key().scopes())));
                return response.withHeaders(quota.headers());
            } catch (ApiException e) {
                throw e.withHeaders(quota.headers());
            }
        };
    }

    /** Wraps {@code handler} so it runs only for an operator key. Operator keys are not rate limited. */
    public Handler operator(Handler handler) {
        return request -> {
            Cached c = lookup(request.header("Authorization"), "operator");
            return handler.handle(request.withPrincipal(new OperatorPrincipal(c.key().id())));
        };
    }

    /** Forgets every cached key, so a revocation or suspension made here applies to the next request. */
    public void invalidate() {
        cache.invalidateAll();
    }

    private Cached lookup(String authorization, String kind) {
        String token = bearer(authorization);
        if (token == null) {
            throw ApiException.unauthorized();
        }
        byte[] hash = Secrets.hash(token);
        Cached c = cache.get(HexFormat.of().formatHex(hash), id -> load(hash));
        Accounts.ApiKey key = c.key();
        Instant at = clock.instant();
        if (key == null || !key.kind().equals(kind) || key.revokedAt() != null
                || (key.expiresAt() != null && !key.expiresAt().isAfter(at))) {
            throw ApiException.unauthorized();
        }
        lastUsed.put(key.id(), at);
        return c;
    }

    private Cached load(byte[] hash) {
        Accounts.ApiKey key = accounts.keyByHash(hash).orElse(null);
        Accounts.Customer customer = key == null || key.customerId() == null ? null
                : accounts.customer(key.customerId()).orElse(null);
        return new Cached(key, customer);
    }

    private void flushLoop() {
        while (!closed && flushPacer.pause(java.time.Duration.ofMillis(FLUSH_MILLIS))) {
            flush();
        }
    }

    /** Writes the pending {@code last_used_at} stamps. */
    public void flush() {
        if (lastUsed.isEmpty()) {
            return;
        }
        Map<UUID, Instant> batch = new java.util.HashMap<>();
        for (UUID id : lastUsed.keySet()) {
            Instant at = lastUsed.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        }
        try {
            accounts.touchKeys(batch);
        } catch (RuntimeException e) {
            log.warn("last_used_at flush failed keys={} cause={}", batch.size(), e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        flushPacer.stop(flusher, java.time.Duration.ofSeconds(2));
        flush();
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null when absent or malformed. */
    public static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 8 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        if (token.isEmpty() || token.length() > 256 || token.chars().anyMatch(c -> c <= 32 || c >= 127)) {
            return null;
        }
        return token;
    }
}
