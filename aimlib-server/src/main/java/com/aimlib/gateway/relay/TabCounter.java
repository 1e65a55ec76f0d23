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

    private TabCounter(int max, Clock clock) {
        this.max = max;
        this.clock = clock;
    }

    /** Connects to the browser endpoint and returns once the existing targets are known. Blocking (a virtual thread's). */
    static TabCounter open(URI browser, int max, Clock clock) throws IOException, InterruptedException {
        return open(browser, java.util.Map.of(), max, clock);
    }

    /** As above, asking with {@code headers} (a remote host's relay endpoint wants the session's relay secret). */
    static TabCounter open(URI browser, java.util.Map<String, String> headers, int max, Clock clock) throws IOException, InterruptedException {
        TabCounter c = new TabCounter(max, clock);
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

    private synchronized void event(JsonNode msg) {
        if (msg.path("id").asInt() == 1) {
            discovered.complete(null);
            return;
        }
        String method = msg.path("method").asText();
        JsonNode p = msg.path("params");
        switch (method) {
            case "Target.targetCreated" -> {
                JsonNode info = p.path("targetInfo");
                if ("page".equals(info.path("type").asText()) && pages.add(info.path("targetId").asText()) && !reserved.isEmpty()) {
                    reserved.removeFirst();
                }
            }
            case "Target.targetDestroyed" -> {
                pages.remove(p.path("targetId").asText());
                closing.remove(p.path("targetId").asText());
            }
            case "Target.targetInfoChanged" -> {
                JsonNode info = p.path("targetInfo");
                if (!"page".equals(info.path("type").asText())) {
                    pages.remove(info.path("targetId").asText());
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void close() {
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
