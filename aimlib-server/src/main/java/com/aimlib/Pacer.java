package com.aimlib;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Paces a background loop and stops it without interrupting it. An interrupt that lands while the loop's (virtual)
 * thread is inside a JDBC call closes the pooled connection's socket under it ({@code ClosedByInterruptException});
 * the pool then logs the broken connection with a stack trace — on every shutdown that happens to meet a query.
 * Stopping through a latch lets the query in flight finish, and the owner waits for that before the pool closes.
 */
public final class Pacer {
    private final CountDownLatch stop = new CountDownLatch(1);

    /** Waits {@code d}, or less if stopped meanwhile: true while the loop should go on. */
    public boolean pause(Duration d) {
        try {
            return !stop.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Tells the loop to stop and waits up to {@code within} for {@code loop} to end (its work in flight finishes). */
    public void stop(Thread loop, Duration within) {
        stop.countDown();
        if (loop == Thread.currentThread()) {
            return;
        }
        try {
            loop.join(within);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
