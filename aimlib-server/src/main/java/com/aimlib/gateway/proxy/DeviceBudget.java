package com.aimlib.gateway.proxy;

import java.time.LocalDate;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One device's monthly byte budget, shared by every connection through the device, plus the bytes not
 * yet written to {@code device_usage}.
 *
 * <p>Every payload buffer is charged <em>before</em> it is forwarded: {@link #charge} atomically adds its
 * size to {@code used} and grants only what still fits under the cap, so the bytes forwarded and
 * counted never exceed the cap, however many connections race (see docs/proxy.md for the bound).
 */
final class DeviceBudget {
    static final long UNLIMITED = Long.MAX_VALUE;

    final UUID deviceId;
    private final AtomicLong used = new AtomicLong();
    private volatile long cap;
    private volatile LocalDate month;
    final LongAdder pendingUp = new LongAdder();
    final LongAdder pendingDown = new LongAdder();
    final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();

    DeviceBudget(UUID deviceId, Long capBytes, long usedBytes, LocalDate month) {
        this.deviceId = deviceId;
        this.cap = capBytes == null ? UNLIMITED : capBytes;
        this.used.set(usedBytes);
        this.month = month;
    }

    boolean spent() {
        return used.get() >= cap;
    }

    /**
     * Reserves up to {@code n} bytes; returns how many may be forwarded (0..n). Zero or a short grant
     * means the budget is spent and every connection of the device must close. Only the granted bytes
     * are added to {@code used}: what does not fit is dropped, so it must not count (adding the whole
     * buffer made the in-memory figure run ahead of {@code device_usage} by every refused read).
     */
    int charge(int n, boolean up) {
        int granted;
        if (cap == UNLIMITED) {
            used.addAndGet(n);
            granted = n;
        } else {
            long before;
            long grant;
            do {
                before = used.get();
                grant = Math.max(0, Math.min(n, cap - before));
            } while (grant > 0 && !used.compareAndSet(before, before + grant));
            granted = (int) grant;
        }
        (up ? pendingUp : pendingDown).add(granted);
        return granted;
    }

    /** Gives back {@code n} charged bytes that were never delivered (a connection aborted with them still queued). */
    void refund(long n, boolean up) {
        used.addAndGet(-n);
        (up ? pendingUp : pendingDown).add(-n);
    }

    /** Applies the cap and the usage recorded in the database (other replicas' bytes included). */
    void refresh(Long capBytes, long dbUsed, LocalDate currentMonth) {
        cap = capBytes == null ? UNLIMITED : capBytes;
        if (!currentMonth.equals(month)) {
            month = currentMonth;
            used.set(dbUsed);
            return;
        }
        long local = used.get();
        if (dbUsed > local) {
            used.addAndGet(dbUsed - local);
        }
    }

    long used() {
        return used.get();
    }

    long cap() {
        return cap;
    }
}
