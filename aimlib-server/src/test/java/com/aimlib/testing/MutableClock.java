package com.aimlib.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand: real time plus an offset they add to, or a frozen instant that only moves by hand. */
public final class MutableClock extends Clock {
    private final Instant frozen;
    private volatile Duration offset = Duration.ZERO;

    public MutableClock() {
        this(null);
    }

    private MutableClock(Instant frozen) {
        this.frozen = frozen;
    }

    /** A clock that stands still at {@code start} until a test advances it. */
    public static MutableClock frozenAt(Instant start) {
        return new MutableClock(start);
    }

    public void advance(Duration d) {
        offset = offset.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return (frozen != null ? frozen : Instant.now()).plus(offset);
    }
}
