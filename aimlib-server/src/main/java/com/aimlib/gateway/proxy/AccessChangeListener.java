package com.aimlib.gateway.proxy;

import java.util.UUID;

/**
 * Told by the admin API, after its change committed, when a customer's status or a device's monthly cap
 * changed, so this gateway applies it at once. Other replicas see a suspension through their 1 s lease
 * poll and a cap through their 2 s usage flush.
 */
public interface AccessChangeListener {
    /** The customer was suspended or reactivated: a suspension refuses and closes its leases' connections now. */
    void customerStatusChanged(UUID customerId);

    /** The device's {@code monthly_cap_bytes} changed (raised, lowered or cleared). */
    void deviceCapChanged(UUID deviceId);
}
