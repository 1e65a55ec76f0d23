package com.aimlib.host;

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
    private final Commands commands;
    private final AtomicInteger inflight = new AtomicInteger();

    private TargetIdentity(CdpClient cdp, IdentityParams identity) {
        this.cdp = cdp;
        this.commands = Commands.of(identity);
    }

    /** Connects to the browser endpoint, attaches to every existing and future target, and returns once the existing ones are done. */
    static TargetIdentity start(URI browser, IdentityParams identity) throws IOException, InterruptedException {
        return start(CdpClient.connect(browser, STEP), identity);
    }

    /** {@link #start(URI, IdentityParams)} on a browser-level connection the caller opened (and timed); it owns it now. */
    static TargetIdentity start(CdpClient cdp, IdentityParams identity) throws IOException, InterruptedException {
        TargetIdentity t = new TargetIdentity(cdp, identity);
        cdp.onEvent(t::event);
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
        if (!"Target.attachedToTarget".equals(e.path("method").asText())) {
            return;
        }
        JsonNode p = e.path("params");
        String session = p.path("sessionId").asText();
        String type = p.path("targetInfo").path("type").asText();
        inflight.incrementAndGet();
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
                    if (x != null) {
                        log.warn("identity not confirmed type={} cause={}", type, x.toString());
                    }
                    inflight.decrementAndGet();
                });
    }

    /** Sends every override to the paused target at once (CDP runs one session's commands in order). */
    private List<CompletableFuture<JsonNode>> send(String session, String type) {
        List<CompletableFuture<JsonNode>> sent = new ArrayList<>();
        boolean document = "page".equals(type) || "iframe".equals(type);
        boolean worker = type.endsWith("worker");
        if (document) {
            // The user agent first: it is what the target's first request carries.
            sent.add(cdp.send("Emulation.setUserAgentOverride", commands.userAgent, session));
            // Page.enable is what makes Blink run scripts added for new documents; it is not Runtime.
            sent.add(cdp.send("Page.enable", "{}", session));
            sent.add(cdp.send("Page.addScriptToEvaluateOnNewDocument", commands.documentScript, session));
            if ("page".equals(type)) {
                sent.add(cdp.send("Emulation.setDeviceMetricsOverride", commands.metrics, session));
            }
            sent.add(cdp.send("Emulation.setTouchEmulationEnabled", commands.touch, session));
            sent.add(cdp.send("Emulation.setHardwareConcurrencyOverride", commands.cores, session));
            sent.add(cdp.send("Emulation.setLocaleOverride", commands.locale, session));
        } else if (worker) {
            sent.add(cdp.send("Network.setUserAgentOverride", commands.userAgent, session));
            sent.add(cdp.send("Emulation.setHardwareConcurrencyOverride", commands.cores, session));
            sent.add(cdp.send("Emulation.setLocaleOverride", commands.locale, session));
        }
        if (document || worker) {
            // Children (out-of-process iframes, dedicated workers) attach to this session, paused like their parent.
            sent.add(cdp.send("Target.setAutoAttach", commands.autoAttach, session));
        }
        if (worker) {
            sent.add(cdp.send("Runtime.evaluate", commands.workerScript, session));
        }
        return sent;
    }

    /** Every command's parameters, serialised once per session: a target's commands go out without building JSON. */
    private record Commands(String userAgent, String documentScript, String metrics, String touch, String cores,
                            String locale, String autoAttach, String workerScript) {
        static Commands of(IdentityParams identity) {
            String script = identity.script();
            return new Commands(identity.userAgentOverride().toString(),
                    CdpClient.params().put("source", script).put("runImmediately", true).toString(),
                    identity.deviceMetrics().toString(), identity.touch().toString(), identity.cores().toString(),
                    identity.locale().toString(), TargetIdentity.autoAttach().toString(),
                    CdpClient.params().put("expression", script).put("silent", true).toString());
        }
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
