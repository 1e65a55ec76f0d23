package com.aimlib.gateway.relay;

import com.aimlib.gateway.http.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the session's waiting spare tabs ({@link SpareTabs}) out of one relay client's sight, browser → client: the
 * {@code Target.targetCreated}, {@code targetInfoChanged} and {@code attachedToTarget} a waiting spare brings (its URL
 * carries the session's mark) are kept back, with anything on the session the client's auto-attach opened to it, and
 * it is left out of {@code Target.getTargets} answers. When the spare is handed out — to this client ({@link #reveal})
 * or to another client, seen here as its URL losing the mark — the client gets what it was kept from, as Chromium
 * sends it for a tab just opened: {@code targetCreated} if it discovers targets, {@code attachedToTarget} if it
 * auto-attaches (paused if it was, so Playwright and Puppeteer set the tab up and resume it as they do any new tab).
 * A handed-out spare's title still names its old URL until it navigates; the relay shows {@code about:blank}.
 *
 * <p>Runs on the relay's event loop; only messages that carry the mark, or name a kept-back target or session, are
 * parsed. Replies to the relay's own calls ({@link ClientIdentity}) pass untouched.
 */
final class SpareFilter implements FrameRelay.Watcher {
    private static final String BLANK = "about:blank";

    private final String mark;
    private final byte[] markBytes;
    private final FrameRelay toClient;
    /** What this client was not told about each waiting spare, in arrival order, by the spare's own URL (its tab and page targets share it). */
    private final Map<String, List<ObjectNode>> kept = new LinkedHashMap<>();
    /** The waiting spares' targets (a spare is a "tab" and a "page" target): target id → the spare's URL. */
    private final Map<String, String> keptTargets = new HashMap<>();
    /** The sessions this client's auto-attach opened to waiting spares: session id → the spare's URL. */
    private final Map<String, String> keptSessions = new HashMap<>();
    /** Spares handed out (here or elsewhere) that this client has heard of: their identity was seen in effect. */
    private final Set<String> served = new HashSet<>();

    SpareFilter(String mark, FrameRelay toClient) {
        this.mark = mark;
        this.markBytes = mark.getBytes(StandardCharsets.US_ASCII);
        this.toClient = toClient;
    }

    @Override
    public boolean dropFromBrowser(ByteBuf payload) {
        if (ownReply(payload)) {
            return false;
        }
        boolean marked = indexOf(payload, markBytes) >= 0;
        if (!marked && (keptTargets.isEmpty() || !namesKept(payload))) {
            return false;
        }
        JsonNode msg;
        try (ByteBufInputStream in = new ByteBufInputStream(payload.duplicate())) {
            msg = Json.MAPPER.readTree((java.io.InputStream) in);
        } catch (IOException e) {
            return false;
        }
        if (!(msg instanceof ObjectNode m)) {
            return false;
        }
        String method = m.path("method").asText("");
        JsonNode params = m.path("params");
        switch (method) {
            case "Target.targetCreated", "Target.targetInfoChanged", "Target.attachedToTarget" -> {
                String url = params.path("targetInfo").path("url").asText("");
                String target = params.path("targetInfo").path("targetId").asText();
                if (url.startsWith(mark)) {
                    keep(url, m);
                    keptTargets.put(target, url);
                    if (method.equals("Target.attachedToTarget")) {
                        keptSessions.put(params.path("sessionId").asText(), url);
                    }
                    return true;
                }
                String spare = keptTargets.get(target);
                if (spare != null) {
                    // Handed out through another connection (or replica): now this client hears of it, then of this.
                    reveal(spare);
                    clean(m);
                    toClient.inject(GuardedFrameRelay.unmaskedText(m.toString().getBytes(StandardCharsets.UTF_8)));
                    return true;
                }
            }
            case "Target.targetDestroyed", "Target.targetCrashed" -> {
                String spare = keptTargets.remove(params.path("targetId").asText());
                if (spare != null) {
                    if (!keptTargets.containsValue(spare)) {
                        forget(spare);
                    }
                    return true;
                }
            }
            case "Target.detachedFromTarget" -> {
                if (keptSessions.remove(params.path("sessionId").asText()) != null) {
                    return true;
                }
            }
            default -> {
            }
        }
        String on = keptSessions.get(m.path("sessionId").asText(""));
        if (on != null) {
            keep(on, m); // on a session the client does not know yet: it gets it with the rest
            return true;
        }
        if (!marked) {
            return false;
        }
        // A listing (Target.getTargets) or an event that still shows a spare's mark: without the waiting ones, and a
        // handed-out one titled about:blank.
        clean(m);
        toClient.inject(GuardedFrameRelay.unmaskedText(m.toString().getBytes(StandardCharsets.UTF_8)));
        return true;
    }

    /**
     * The spare at {@code url} is handed out (to this client: before the relay's answer to its create, as Chromium
     * orders them): the client gets, in order, what it was not told. Event loop only.
     */
    void reveal(String url) {
        List<ObjectNode> messages = kept.remove(url);
        keptTargets.entrySet().removeIf(e -> {
            if (e.getValue().equals(url)) {
                served.add(e.getKey());
                return true;
            }
            return false;
        });
        keptSessions.values().removeIf(url::equals);
        if (messages != null) {
            for (ObjectNode m : messages) {
                clean(m);
                toClient.inject(GuardedFrameRelay.unmaskedText(m.toString().getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    /** Whether {@code target} is a handed-out spare: the relay saw the session's identity in effect in it. */
    boolean served(String target) {
        return served.contains(target);
    }

    private void keep(String url, ObjectNode m) {
        kept.computeIfAbsent(url, u -> new ArrayList<>()).add(m);
    }

    private void forget(String url) {
        kept.remove(url);
        keptSessions.values().removeIf(url::equals);
    }

    /** Drops waiting spares from every target list in {@code n}; a handed-out one shows about:blank as URL and title. */
    private void clean(JsonNode n) {
        if (n instanceof ObjectNode o) {
            if (o.has("targetId")) {
                for (String field : new String[] {"url", "title"}) {
                    String v = o.path(field).asText("");
                    if (v.startsWith(mark) && !keptTargets.containsKey(o.path("targetId").asText())) {
                        o.put(field, BLANK);
                    }
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = o.properties().iterator(); it.hasNext(); ) {
                clean(it.next().getValue());
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = a.size() - 1; i >= 0; i--) {
                JsonNode e = a.get(i);
                if (e.has("targetId") && (e.path("url").asText("").startsWith(mark) || keptTargets.containsKey(e.path("targetId").asText()))) {
                    a.remove(i);
                } else {
                    clean(e);
                }
            }
        }
    }

    private boolean namesKept(ByteBuf b) {
        for (String t : keptTargets.keySet()) {
            if (indexOf(b, t.getBytes(StandardCharsets.US_ASCII)) >= 0) {
                return true;
            }
        }
        for (String s : keptSessions.keySet()) {
            if (indexOf(b, s.getBytes(StandardCharsets.US_ASCII)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** A reply to the relay's own call ({@link ClientIdentity}): never this filter's business. */
    private static boolean ownReply(ByteBuf b) {
        return ClientIdentity.startsWith(b, ClientIdentity.REPLY) && ClientIdentity.replyId(b) >= ClientIdentity.FIRST_ID;
    }

    private static int indexOf(ByteBuf b, byte[] needle) {
        return io.netty.buffer.ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(needle), b);
    }
}
