package com.aimlib.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A minimal CDP client over the JDK WebSocket, one call in flight at a time, sending the bearer header the
 * way Playwright does (or none, to talk to Chromium directly). Events are read and dropped.
 */
public final class CdpClient implements WebSocket.Listener, AutoCloseable {
    private final StringBuilder text = new StringBuilder();
    private volatile CompletableFuture<String> next = new CompletableFuture<>();
    private WebSocket ws;
    /** Every message that is not a reply (events), in arrival order. */
    public final java.util.concurrent.BlockingQueue<String> events = new java.util.concurrent.LinkedBlockingQueue<>();

    public static CdpClient open(String url, String token) throws Exception {
        CdpClient c = new CdpClient();
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        c.ws = b.buildAsync(URI.create(url), c).get(10, TimeUnit.SECONDS);
        return c;
    }

    /** Sends one command and returns its reply (the next message with an {@code id}). */
    public synchronized String call(String msg) throws Exception {
        next = new CompletableFuture<>();
        ws.sendText(msg, true).get(10, TimeUnit.SECONDS);
        return next.get(60, TimeUnit.SECONDS);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            String m = text.toString();
            text.setLength(0);
            if (m.startsWith("{\"id\"")) {
                next.complete(m);
            } else {
                events.add(m);
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        webSocket.request(1);
        return null;
    }

    /** A normal WebSocket close, then the connection is dropped whether or not the peer answered. */
    @Override
    public void close() {
        try {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the peer is gone or slow; abort below either way
        }
        ws.abort();
    }
}
