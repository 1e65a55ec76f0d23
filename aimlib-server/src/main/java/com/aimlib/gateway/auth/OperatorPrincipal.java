package com.aimlib.gateway.auth;

import java.util.UUID;

/** The caller behind a valid operator key. */
public record OperatorPrincipal(UUID keyId) {
}
