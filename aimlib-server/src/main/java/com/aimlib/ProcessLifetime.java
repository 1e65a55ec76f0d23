package com.aimlib;

import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a long-running role owns, closed in reverse order of acquisition when the JVM shuts down (SIGTERM,
 * SIGINT, or {@code System.exit} after a failed start), so every command stops the same graceful way.
 */
public final class ProcessLifetime {
    private static final Logger log = LoggerFactory.getLogger(ProcessLifetime.class);

    private final Deque<AutoCloseable> owned = new ConcurrentLinkedDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public ProcessLifetime(String role) {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, role + "-shutdown"));
    }

    /** Takes {@code resource} into this lifetime: it is closed at shutdown, before everything owned earlier. */
    public <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    /** Blocks the calling thread until shutdown has closed everything. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void closeAll() {
        log.info("shutting down: finishing work in flight");
        for (AutoCloseable resource; (resource = owned.poll()) != null; ) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
        log.info("stopped");
        stopped.countDown();
    }
}
