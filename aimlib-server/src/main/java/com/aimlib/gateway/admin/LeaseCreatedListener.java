package com.aimlib.gateway.admin;

import java.util.UUID;

/**
 * Told right after the admin API created a lease with a proxy (committed), so the browser sessions can
 * pre-bind its zero-cost idle session at once instead of at the reaper's next sweep.
 */
@FunctionalInterface
public interface LeaseCreatedListener {
    void leaseCreated(UUID leaseId);
}
