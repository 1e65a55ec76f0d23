package com.aimlib.host;

import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a session's identity to every target of its browser from the target's first script: the host holds
 * one browser-level CDP connection that auto-attaches (paused) to every page, popup, out-of-process iframe and
 * dedicated, shared and service worker — whichever client created it — sets the overrides on it, then lets it
 * run. It never enables the Runtime, Console or Debugger domains; Runtime.evaluate and runIfWaitingForDebugger
 * work without them.
 */
final class TargetIdentity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TargetIdentity.class);
    private static final Duration STEP = Duration.ofSeconds(10);

    private final CdpClient cdp;
    private final TargetOverrides overrides;
    private final AtomicInteger inflight = new AtomicInteger();
    /** Targets whose overrides are on their way, by CDP session: done when every reply came or the target detached. */
    private final java.util.Map<String, CompletableFuture<Void>> applying = new java.util.concurrent.ConcurrentHashMap<>();

    private TargetIdentity(CdpClient cdp, TargetOverrides overrides) {
        this.cdp = cdp;
        this.overrides = overrides;
    }

    /** Connects to the browser endpoint, attaches to every existing and future target, and returns once the existing ones are done. */
    static TargetIdentity start(URI browser, TargetOverrides overrides) throws IOException, InterruptedException {
        return start(CdpClient.connect(browser, STEP), overrides);
    }

    /** {@link #start(URI, TargetOverrides)} on a browser-level connection the caller opened (and timed); it owns it now. */
    static TargetIdentity start(CdpClient cdp, TargetOverrides overrides) throws IOException, InterruptedException {
        TargetIdentity t = new TargetIdentity(cdp, overrides);
        cdp.onEvent(t::event);
        cdp.onlyEvents("Target.attachedToTarget", "Target.detachedFromTarget");
        try {
            cdp.call("Target.setAutoAttach", autoAttach(), null, STEP);
            t.awaitIdle(STEP);
        } catch (IOException | InterruptedException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private static ObjectNode autoAttach() {
        return CdpClient.params().put("autoAttach", true).put("waitForDebuggerOnStart", true).put("flatten", true);
    }

    /**
     * Sends the overrides and then the resume right here, on the socket's thread, the moment a target attaches: CDP
     * runs one session's commands in order, so the target runs only after they took effect, and a client that
     * resumes or navigates the target itself (Playwright navigates its new page at once) finds them as early as
     * possible. Nothing waits for the replies (that cost a round trip per target); failures are logged.
     */
    private void event(JsonNode e) {
        if ("Target.detachedFromTarget".equals(e.path("method").asText())) {
            // A target gone before its replies came (a tab closed at once) will never answer: stop waiting for it.
            CompletableFuture<Void> applied = applying.get(e.path("params").path("sessionId").asText());
            if (applied != null) {
                applied.complete(null);
            }
            return;
        }
        if (!"Target.attachedToTarget".equals(e.path("method").asText())) {
            return;
        }
        JsonNode p = e.path("params");
        String session = p.path("sessionId").asText();
        String type = p.path("targetInfo").path("type").asText();
        inflight.incrementAndGet();
        CompletableFuture<Void> applied = new CompletableFuture<>();
        applying.put(session, applied);
        applied.whenComplete((v, x) -> {
            applying.remove(session);
            inflight.decrementAndGet();
        });
        List<CompletableFuture<JsonNode>> sent = List.of();
        try {
            sent = send(session, type);
        } catch (RuntimeException x) {
            log.warn("identity not applied type={} cause={}", type, x.toString());
        } finally {
            cdp.send("Runtime.runIfWaitingForDebugger", "{}", session);
        }
        for (CompletableFuture<JsonNode> f : sent) {
            f.thenAccept(r -> {
                if (r.has("error") || r.path("result").has("exceptionDetails")) {
                    log.debug("identity step failed type={} reply={}", type, r);
                }
            });
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).orTimeout(STEP.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, x) -> {
                    if (x != null && !applied.isDone()) {
                        log.warn("identity not confirmed type={} cause={}", type, x.toString());
                    }
                    applied.complete(null);
                });
    }

    /** Sends every override to the paused target at once (CDP runs one session's commands in order). */
    private List<CompletableFuture<JsonNode>> send(String session, String type) {
        List<CompletableFuture<JsonNode>> sent = new ArrayList<>();
        for (TargetOverrides.Command c : overrides.forTarget(type)) {
            sent.add(cdp.send(c.method(), c.params(), session));
        }
        return sent;
    }

    private void awaitIdle(Duration within) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (inflight.get() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("identity not applied to the existing targets in time");
            }
            Thread.sleep(2);
        }
    }

    @Override
    public void close() {
        cdp.close();
    }
}
