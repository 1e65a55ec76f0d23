package com.aimlib.protocol.host;

import java.util.List;
import java.util.UUID;

/**
 * What a session starts with beyond its {@link BootOrder}: a saved context to restore (cookies and origin storage,
 * already opened by the gateway) and the customer's extensions to load. A session with either starts cold.
 */
public record BootExtras(byte[] savedState, List<Extension> extensions) {
    public static final BootExtras NONE = new BootExtras(null, List.of());

    /** One validated extension: its id and its normalized zip. */
    public record Extension(UUID id, byte[] archive) {
    }

    public boolean isEmpty() {
        return savedState == null && extensions.isEmpty();
    }

    @Override
    public String toString() {
        return "BootExtras[state=" + (savedState == null ? "none" : savedState.length + " bytes") + ", extensions=" + extensions.size() + "]";
    }
}
