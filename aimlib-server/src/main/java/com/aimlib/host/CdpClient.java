package com.aimlib.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** A minimal Chrome DevTools Protocol client: request/response over one WebSocket, flat sessions. */
final class CdpClient implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final WebSocket ws;
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile java.util.function.Consumer<JsonNode> events = e -> { };
    /** When set, only events whose text starts with one of these prefixes are parsed and delivered. */
    private volatile List<String> eventFilter;

    private CdpClient(WebSocket ws) {
        this.ws = ws;
    }

    static CdpClient connect(URI uri, Duration timeout) throws IOException, InterruptedException {
        Listener listener = new Listener();
        try {
            WebSocket ws = HTTP.newWebSocketBuilder().connectTimeout(timeout).buildAsync(uri, listener)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            CdpClient c = new CdpClient(ws);
            listener.client = c;
            return c;
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("CDP connect failed: " + e.getMessage(), e);
        }
    }

    /** Sends {@code method} (to a flat session when {@code sessionId} is set) and waits for its result. */
    JsonNode call(String method, ObjectNode params, String sessionId, Duration timeout) throws IOException, InterruptedException {
        try {
            JsonNode reply = send(method, params, sessionId).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                throw new IOException(method + ": " + reply.get("error"));
            }
            return reply.path("result");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(method + " failed: " + e, e);
        }
    }

    /**
     * Sends {@code method} without waiting: the future completes with the whole reply ({@code result} or
     * {@code error}). Commands to one session are executed in the order they are sent.
     */
    CompletableFuture<JsonNode> send(String method, ObjectNode params, String sessionId) {
        return send(method, params == null ? "{}" : params.toString(), sessionId);
    }

    /** As {@link #send(String, ObjectNode, String)}, with the parameters already serialised (sent often, built once). */
    CompletableFuture<JsonNode> send(String method, String paramsJson, String sessionId) {
        int id = ids.incrementAndGet();
        StringBuilder msg = new StringBuilder(paramsJson.length() + 100).append("{\"id\":").append(id)
                .append(",\"method\":\"").append(method).append('"');
        if (sessionId != null) {
            msg.append(",\"sessionId\":").append(MAPPER.getNodeFactory().textNode(sessionId));
        }
        msg.append(",\"params\":").append(paramsJson).append('}');
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        f.whenComplete((r, e) -> calls.remove(id));
        synchronized (ws) {
            ws.sendText(msg.toString(), true).join();
        }
        return f;
    }

    /** Receives every event (a message without an id); runs on the socket's thread, so it must not block. */
    void onEvent(java.util.function.Consumer<JsonNode> listener) {
        this.events = listener;
    }

    /** Delivers only the events of these methods (Chromium writes the method first); every other event is dropped unparsed. */
    void onlyEvents(String... methods) {
        this.eventFilter = java.util.Arrays.stream(methods).map(m -> "{\"method\":\"" + m + "\"").toList();
    }

    private boolean unwanted(String msg) {
        List<String> only = eventFilter;
        return only != null && msg.startsWith("{\"method\":") && only.stream().noneMatch(msg::startsWith);
    }

    static ObjectNode params() {
        return MAPPER.createObjectNode();
    }

    @Override
    public void close() {
        ws.abort();
        calls.values().forEach(f -> f.completeExceptionally(new IOException("closed")));
    }

    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        volatile CdpClient client;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String msg = text.toString();
                text.setLength(0);
                try {
                    CdpClient c = client;
                    if (c != null && c.unwanted(msg)) {
                        // An event no one here listens for (with Page enabled on every target there are many): not parsed.
                        ws.request(1);
                        return null;
                    }
                    JsonNode node = MAPPER.readTree(msg);
                    if (c != null && node.has("id")) {
                        CompletableFuture<JsonNode> f = c.calls.get(node.get("id").asInt());
                        if (f != null) {
                            f.complete(node);
                        }
                    } else if (c != null && node.has("method")) {
                        c.events.accept(node);
                    }
                } catch (IOException ignored) {
                    // Not a protocol message; nothing waits for it.
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            CdpClient c = client;
            if (c != null) {
                c.calls.values().forEach(f -> f.completeExceptionally(error));
            }
        }
    }
}
