package com.aimlib.gateway.relay;

import com.aimlib.gateway.http.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open tabs of one session's browser, for the relay's {@code max_tabs} (issue 14). The SDKs count every open page of
 * every context — the initial tab and popups included — so this counts page targets browser-wide: a browser-level CDP
 * connection of the gateway's own with {@code Target.setDiscoverTargets}, which reports the existing targets at once
 * and every page created or closed after, whichever client (or page script) did it.
 *
 * <p>A {@code Target.createTarget} the relay lets through holds a reservation until its page shows up (or 10 s pass),
 * so calls in flight at once — {@code Promise.all} of several {@code newPage()} — cannot together pass the cap.
 */
final class TabCounter implements CdpGuard.TabGate, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TabCounter.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration RESERVATION = Duration.ofSeconds(10);

    private final int max;
    private final Clock clock;
    private final Set<String> pages = new HashSet<>();
    private final ArrayDeque<Instant> reserved = new ArrayDeque<>();
    /** Tabs a client asked to close, with when: not counted until they are destroyed, or counted again after 5 s. */
    private final java.util.Map<String, Instant> closing = new java.util.HashMap<>();
    private static final Duration CLOSING = Duration.ofSeconds(5);
    private final CompletableFuture<Void> discovered = new CompletableFuture<>();
    private volatile WebSocket ws;
    /** The URL start of the session's spare tabs ({@link SpareTabs}): not counted while they wait (null: none). */
    private final String spareMark;
    /** Spare tabs waiting, by target id: counted once their URL no longer has the mark (handed out). */
    private final Set<String> spares = new HashSet<>();
    /** Calls of {@link #call} waiting for their answer, by id (1 is the discovery's). */
    private final java.util.Map<Integer, CompletableFuture<JsonNode>> calls = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger(1);
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);

    private TabCounter(int max, Clock clock, String spareMark) {
        this.max = max;
        this.spareMark = spareMark;
        this.clock = clock;
    }

    /** Connects to the browser endpoint and returns once the existing targets are known. Blocking (a virtual thread's). */
    static TabCounter open(URI browser, int max, Clock clock) throws IOException, InterruptedException {
        return open(browser, java.util.Map.of(), max, clock);
    }

    /** As above, asking with {@code headers} (a remote host's relay endpoint wants the session's relay secret). */
    static TabCounter open(URI browser, java.util.Map<String, String> headers, int max, Clock clock) throws IOException, InterruptedException {
        return open(browser, headers, max, clock, null);
    }

    /** As above; tabs whose URL starts with {@code spareMark} are the session's spare tabs, not counted until handed out. */
    static TabCounter open(URI browser, java.util.Map<String, String> headers, int max, Clock clock, String spareMark)
            throws IOException, InterruptedException {
        TabCounter c = new TabCounter(max, clock, spareMark);
        try {
            java.net.http.WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
            headers.forEach(builder::header);
            c.ws = builder.buildAsync(browser, c.new Listener()).get(10, TimeUnit.SECONDS);
            c.ws.sendText("{\"id\":1,\"method\":\"Target.setDiscoverTargets\",\"params\":{\"discover\":true}}", true);
            c.discovered.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            c.close();
            throw new IOException("tab counter: " + e, e);
        }
        return c;
    }

    @Override
    public int max() {
        return max;
    }

    /**
     * Sends a CDP call on this browser-level connection (to a flat session when {@code sessionId} is set); the future
     * completes with the whole reply, {@code result} or {@code error}. Used by the session's {@link SpareTabs}.
     */
    CompletableFuture<JsonNode> call(String method, com.fasterxml.jackson.databind.node.ObjectNode params, String sessionId) {
        int id = ids.incrementAndGet();
        com.fasterxml.jackson.databind.node.ObjectNode msg = Json.MAPPER.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params);
        if (sessionId != null) {
            msg.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        f.whenComplete((r, e) -> calls.remove(id));
        WebSocket w = ws;
        if (w == null) {
            f.completeExceptionally(new IOException("closed"));
            return f;
        }
        String text = msg.toString();
        synchronized (calls) {
            // One send at a time on a java.net.http WebSocket: each waits for the one before, without blocking the caller
            // (an event loop, for a spare tab's claim).
            sending = sending.handle((x, e) -> null).thenCompose(x -> w.sendText(text, true))
                    .whenComplete((x, e) -> {
                        if (e != null) {
                            f.completeExceptionally(e);
                        }
                    });
        }
        return f;
    }

    /** Open pages now, plus creations let through whose page has not shown up yet. */
    synchronized int count() {
        expire();
        return open() + reserved.size();
    }

    private int open() {
        int n = pages.size();
        for (String id : closing.keySet()) {
            if (pages.contains(id)) {
                n--;
            }
        }
        return n;
    }

    @Override
    public synchronized void closing(String targetId) {
        if (pages.contains(targetId)) {
            closing.put(targetId, clock.instant());
        }
    }

    /** Whether one more tab fits; if it does, it is reserved until its page appears. */
    @Override
    public synchronized boolean tryOpen() {
        expire();
        if (open() + reserved.size() >= max) {
            return false;
        }
        reserved.addLast(clock.instant());
        return true;
    }

    private void expire() {
        Instant limit = clock.instant().minus(RESERVATION);
        while (!reserved.isEmpty() && reserved.peekFirst().isBefore(limit)) {
            reserved.removeFirst();
        }
        Instant stillOpen = clock.instant().minus(CLOSING);
        closing.values().removeIf(at -> at.isBefore(stillOpen));
    }

    private void event(JsonNode msg) {
        if (msg.has("id")) {
            if (msg.path("id").asInt() == 1) {
                discovered.complete(null);
                return;
            }
            // Completed outside the counter's lock: a spare tab's claim goes on from here.
            CompletableFuture<JsonNode> f = calls.get(msg.path("id").asInt());
            if (f != null) {
                f.complete(msg);
            }
            return;
        }
        count(msg);
    }

    private synchronized void count(JsonNode msg) {
        String method = msg.path("method").asText();
        JsonNode p = msg.path("params");
        switch (method) {
            case "Target.targetCreated" -> {
                JsonNode info = p.path("targetInfo");
                if (isSpare(info)) {
                    spares.add(info.path("targetId").asText());
                } else if ("page".equals(info.path("type").asText())) {
                    opened(info.path("targetId").asText());
                }
            }
            case "Target.targetDestroyed" -> {
                pages.remove(p.path("targetId").asText());
                closing.remove(p.path("targetId").asText());
                spares.remove(p.path("targetId").asText());
            }
            case "Target.targetInfoChanged" -> {
                JsonNode info = p.path("targetInfo");
                String id = info.path("targetId").asText();
                if (!"page".equals(info.path("type").asText())) {
                    pages.remove(id);
                } else if (spares.contains(id) && !isSpare(info)) {
                    // A spare handed out: a tab of the session from now on.
                    spares.remove(id);
                    opened(id);
                }
            }
            default -> {
            }
        }
    }

    private boolean isSpare(JsonNode info) {
        return spareMark != null && info.path("url").asText("").startsWith(spareMark);
    }

    private void opened(String targetId) {
        if (pages.add(targetId) && !reserved.isEmpty()) {
            reserved.removeFirst();
        }
    }

    @Override
    public void close() {
        calls.values().forEach(f -> f.completeExceptionally(new IOException("closed")));
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
        discovered.completeExceptionally(new IOException("closed"));
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String msg = text.toString();
                text.setLength(0);
                try {
                    event(Json.MAPPER.readTree(msg));
                } catch (IOException e) {
                    log.debug("tab counter: unreadable message");
                }
            }
            w.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            discovered.completeExceptionally(error);
        }
    }
}
