package com.aimlib.gateway.auth;

import java.util.Set;
import java.util.UUID;

/** The caller behind a valid customer API key. */
public record CustomerPrincipal(UUID keyId, UUID customerId, Set<String> scopes) {
}
