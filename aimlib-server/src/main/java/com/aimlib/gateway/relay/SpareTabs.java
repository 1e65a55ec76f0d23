package com.aimlib.gateway.relay;

import com.aimlib.gateway.http.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blank tab kept ready, with the session's identity already in effect, for the next client that opens a tab
 * ({@code Target.createTarget} with {@code about:blank} and nothing else: Playwright's and Puppeteer's
 * {@code newPage()} in the default context, a raw client's blank tab). Applying the identity to a fresh tab is
 * renderer work that no client can overlap (the overrides and identity.js before the tab's first script: ~12 ms of a
 * ~55 ms new tab, measured by {@code bench/browser/newtab-commands.sh}); a spare tab has done it before anyone asks.
 *
 * <p>The spare is opened by the relay on the session's tab-counter connection at {@code about:blank#<mark>…}
 * ({@link com.aimlib.protocol.host.SpareTabMark}); the host's paused auto-attach gives it the identity like any new
 * tab, and it is ready once {@link com.aimlib.protocol.identity.TargetOverrides#appliedProbe} answers true in it. Every
 * relay connection hides it ({@link SpareFilter}) until a client's create claims it: then its URL becomes plain
 * {@code about:blank} (same document, {@code history.replaceState}: history length 1, as a new tab's), the relay
 * answers the create with its id, and another spare is opened. One spare per session and replica, kept while the
 * session has relay clients on this replica; none without (an idle session costs no more than before).
 */
final class SpareTabs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpareTabs.class);
    private static final Duration STEP = Duration.ofSeconds(5);
    /** Spares that failed to open in a row before this session stops keeping one (its clients' tabs open as before). */
    private static final int GIVE_UP_AFTER = 3;
    /** How long after a hand-out the next spare is opened. */
    static final Duration REFILL_AFTER = Duration.ofMillis(100);

    private final TabCounter browser;
    private final String mark;
    /** null: no identity to wait for (the tab is ready once it exists). */
    private final String probe;
    private final Executor blocking;
    private final AtomicLong served;
    private Spare ready;
    private boolean making;
    private boolean closed;
    private int failures;

    private record Spare(String targetId, String sessionId, String url) {
    }

    /** A spare handed out: its page target, and the URL it waited at (its tab and page targets had it). */
    record Handed(String targetId, String url) {
    }

    SpareTabs(TabCounter browser, String mark, String probe, Executor blocking, AtomicLong served) {
        this.browser = browser;
        this.mark = mark;
        this.probe = probe;
        this.blocking = blocking;
        this.served = served;
    }

    String mark() {
        return mark;
    }

    synchronized boolean ready() {
        return ready != null;
    }

    /** Opens the first spare (in the background). */
    void start() {
        replenish();
    }

    /**
     * Takes the ready spare for a client's new tab: completes with its target id once its URL is plain about:blank,
     * or with null if that failed (the create then goes to the browser as sent). Null when no spare is ready.
     */
    synchronized CompletableFuture<Handed> claim() {
        Spare s = ready;
        if (s == null || closed) {
            return null;
        }
        ready = null;
        CompletableFuture<Handed> out = new CompletableFuture<>();
        ObjectNode unmark = Json.MAPPER.createObjectNode().put("expression", "history.replaceState(null, '', 'about:blank')");
        browser.call("Runtime.evaluate", unmark, s.sessionId()).orTimeout(STEP.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> {
                    // The relay's own session on the tab ends here: the client's is the one that stays.
                    browser.call("Target.detachFromTarget", Json.MAPPER.createObjectNode().put("sessionId", s.sessionId()), null);
                    if (e != null || r.has("error") || r.path("result").has("exceptionDetails")) {
                        log.warn("spare tab not handed out cause={}", e != null ? e.toString() : r.path("error").toString());
                        close(s.targetId());
                        out.complete(null);
                    } else {
                        served.incrementAndGet();
                        out.complete(new Handed(s.targetId(), s.url()));
                    }
                    // The next spare after the client's first steps in this one: opening a tab now would compete with
                    // them for the same cores (measured: attach and first evaluate twice as slow).
                    CompletableFuture.delayedExecutor(REFILL_AFTER.toMillis(), TimeUnit.MILLISECONDS).execute(this::replenish);
                });
        return out;
    }

    private synchronized void replenish() {
        if (closed || making || ready != null || failures >= GIVE_UP_AFTER) {
            return;
        }
        making = true;
        try {
            blocking.execute(this::make);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            making = false;
        }
    }

    private void make() {
        String target = null;
        try {
            String url = mark + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
            JsonNode created = result(browser.call("Target.createTarget", Json.MAPPER.createObjectNode().put("url", url), null));
            target = created.path("targetId").asText();
            JsonNode attached = result(browser.call("Target.attachToTarget",
                    Json.MAPPER.createObjectNode().put("targetId", target).put("flatten", true), null));
            String session = attached.path("sessionId").asText();
            if (probe != null) {
                awaitIdentity(session);
            }
            synchronized (this) {
                if (!closed) {
                    ready = new Spare(target, session, url);
                    failures = 0;
                    target = null;
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            boolean ended;
            synchronized (this) {
                ended = closed;
                if (!ended) {
                    failures++;
                }
            }
            if (ended) {
                log.debug("spare tab not opened: the session's last relay client left cause={}", e.toString());
            } else {
                log.info("spare tab not opened failures={} cause={}", failures, e.toString());
            }
        } finally {
            if (target != null) {
                close(target);
            }
            synchronized (this) {
                making = false;
            }
        }
        if (failures > 0 && failures < GIVE_UP_AFTER) {
            replenish();
        }
    }

    /** Polls the probe in the spare until the host's identity is in effect there (it usually is at the first answer). */
    private void awaitIdentity(String session) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        ObjectNode eval = Json.MAPPER.createObjectNode().put("expression", probe).put("returnByValue", true);
        while (true) {
            JsonNode r = result(browser.call("Runtime.evaluate", eval, session));
            if (r.path("result").path("value").asBoolean(false)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new java.io.IOException("the identity did not take effect in the spare tab");
            }
            Thread.sleep(10);
        }
    }

    private static JsonNode result(CompletableFuture<JsonNode> call) throws Exception {
        JsonNode r = call.get(STEP.toMillis(), TimeUnit.MILLISECONDS);
        if (r.has("error")) {
            throw new java.io.IOException(r.path("error").path("message").asText("CDP error"));
        }
        return r.path("result");
    }

    private void close(String target) {
        browser.call("Target.closeTarget", Json.MAPPER.createObjectNode().put("targetId", target), null);
    }

    /**
     * Closes the waiting spare (the session's last relay client on this replica left); completes once the browser
     * answered (or after a second), without blocking the caller (an event loop).
     */
    CompletableFuture<Void> shutdown() {
        Spare s;
        synchronized (this) {
            closed = true;
            s = ready;
            ready = null;
        }
        if (s == null) {
            return CompletableFuture.completedFuture(null);
        }
        return browser.call("Target.closeTarget", Json.MAPPER.createObjectNode().put("targetId", s.targetId()), null)
                .orTimeout(1, TimeUnit.SECONDS).handle((r, e) -> null);
    }

    @Override
    public void close() {
        shutdown();
    }
}
