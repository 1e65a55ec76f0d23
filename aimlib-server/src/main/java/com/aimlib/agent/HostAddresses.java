package com.aimlib.agent;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every address of every local interface, read at start and again on a virtual thread once the last read is
 * older than 30 s: {@link #get} never blocks, so the event loop may ask it for each connection.
 */
final class HostAddresses implements Supplier<Set<InetAddress>> {
    private static final Logger log = LoggerFactory.getLogger(HostAddresses.class);
    private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final class Shared {
        static final HostAddresses INSTANCE = new HostAddresses();
    }

    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Set<InetAddress> addresses;
    private volatile long readAt;

    private HostAddresses() {
        Set<InetAddress> first = read();
        addresses = first == null ? Set.of() : first;
        readAt = System.nanoTime();
    }

    /** The machine's addresses, shared by every policy of the process; the first call reads them (blocking). */
    static HostAddresses system() {
        return Shared.INSTANCE;
    }

    @Override
    public Set<InetAddress> get() {
        if (System.nanoTime() - readAt > MAX_AGE_NANOS && refreshing.compareAndSet(false, true)) {
            Thread.ofVirtual().name("host-addresses").start(() -> {
                try {
                    Set<InetAddress> now = read();
                    if (now != null) {
                        addresses = now;
                    }
                    readAt = System.nanoTime();
                } finally {
                    refreshing.set(false);
                }
            });
        }
        return addresses;
    }

    /** The addresses now, or null when the interfaces cannot be read (the last good read is kept). */
    private static Set<InetAddress> read() {
        Set<InetAddress> all = new HashSet<>();
        try {
            var interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                var addrs = interfaces.nextElement().getInetAddresses();
                while (addrs.hasMoreElements()) {
                    all.add(EgressPolicy.withoutScope(addrs.nextElement()));
                }
            }
        } catch (SocketException e) {
            log.warn("event=host_addresses_unreadable error={}", e.toString());
            return null;
        }
        return Set.copyOf(all);
    }
}
