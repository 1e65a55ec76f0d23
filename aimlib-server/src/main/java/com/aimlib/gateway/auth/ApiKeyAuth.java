package com.aimlib.gateway.auth;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Handler;
import com.aimlib.store.Accounts;
import com.aimlib.store.Secrets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Bearer-key authentication as documented: a missing, malformed, unknown, revoked or expired key, or a
 * key of the wrong kind is 401 {@code {"error":"unauthorized"}}; a customer that is not active is 403
 * {@code lease_inactive}; a missing scope is 403 {@code forbidden}.
 */
public final class ApiKeyAuth {
    private final Accounts accounts;
    private final Clock clock;

    public ApiKeyAuth(Accounts accounts, Clock clock) {
        this.accounts = accounts;
        this.clock = clock;
    }

    /** Wraps {@code handler} so it runs only for a customer key holding {@code scope}. */
    public Handler customer(String scope, Handler handler) {
        return request -> {
            Accounts.ApiKey key = validKey(request.header("Authorization"), "customer")
                    .orElseThrow(ApiException::unauthorized);
            Accounts.Customer customer = accounts.customer(key.customerId()).orElseThrow(ApiException::unauthorized);
            if (!"active".equals(customer.status())) {
                throw new ApiException(403, "lease_inactive", "customer not active");
            }
            if (!key.scopes().contains(scope)) {
                throw ApiException.forbidden("missing scope " + scope);
            }
            return handler.handle(request.withPrincipal(new CustomerPrincipal(key.id(), customer.id(), key.scopes())));
        };
    }

    /** Wraps {@code handler} so it runs only for an operator key. */
    public Handler operator(Handler handler) {
        return request -> {
            Accounts.ApiKey key = validKey(request.header("Authorization"), "operator")
                    .orElseThrow(ApiException::unauthorized);
            return handler.handle(request.withPrincipal(new OperatorPrincipal(key.id())));
        };
    }

    private Optional<Accounts.ApiKey> validKey(String authorization, String kind) {
        String token = bearer(authorization);
        if (token == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return accounts.keyByHash(Secrets.hash(token))
                .filter(k -> k.kind().equals(kind))
                .filter(k -> k.revokedAt() == null)
                .filter(k -> k.expiresAt() == null || k.expiresAt().isAfter(now));
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
