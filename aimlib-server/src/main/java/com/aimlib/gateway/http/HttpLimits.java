package com.aimlib.gateway.http;

import java.time.Duration;

/**
 * How long and how many: the deadlines a client of the HTTP listener must meet and the cap on open
 * connections. Deadlines run only while the server waits for the client, never while a handler works.
 *
 * @param idleTimeout    keep-alive: a connection with no request in progress is closed after this long
 * @param headerTimeout  a request's line and headers must be complete this long after its first byte
 *                       (for a new connection: after the connection opened)
 * @param bodyTimeout    a request's body must be complete this long after its headers
 * @param maxConnections open connections above this are answered 503 {@code too_many_connections} and closed
 */
public record HttpLimits(Duration idleTimeout, Duration headerTimeout, Duration bodyTimeout, int maxConnections) {
    /** 60 s keep-alive (above common client pools' 30–55 s, so clients close first), 10 s for headers,
     *  30 s for a body (at the 64 KiB cap: at least ~2 KiB/s), 10,000 connections (half the 20,000 fds). */
    public static final HttpLimits DEFAULTS = new HttpLimits(Duration.ofSeconds(60), Duration.ofSeconds(10),
            Duration.ofSeconds(30), 10_000);

    public HttpLimits {
        for (Duration d : new Duration[] {idleTimeout, headerTimeout, bodyTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("HTTP timeouts must be positive, got " + d);
            }
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("the HTTP connection cap must be at least 1, got " + maxConnections);
        }
    }
}
