package com.aimlib.gateway.sessions;

import com.aimlib.protocol.host.BootExtras;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.UUID;

/**
 * What a create asked for beyond the documented fields (issue 14): the saved context to start from, whose resolved
 * profile replaces resolution, and the extensions to load; {@code boot} carries their opened bytes to the host.
 */
public record SessionExtras(UUID contextId, ObjectNode profile, List<UUID> extensionIds, BootExtras boot) {
    public static final SessionExtras NONE = new SessionExtras(null, null, List.of(), BootExtras.NONE);

    public boolean isEmpty() {
        return contextId == null && extensionIds.isEmpty();
    }
}
