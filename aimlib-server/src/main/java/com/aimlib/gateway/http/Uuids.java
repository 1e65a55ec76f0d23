package com.aimlib.gateway.http;

import java.util.UUID;

/** Ids arrive as text from the network; only the canonical 36-character form is an id. */
public final class Uuids {
    private Uuids() {
    }

    /** The UUID {@code raw} spells in canonical form, or null for anything else (including null). */
    public static UUID parseOrNull(String raw) {
        if (raw == null || raw.length() != 36) {
            return null;
        }
        try {
            return UUID.fromString(raw);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
