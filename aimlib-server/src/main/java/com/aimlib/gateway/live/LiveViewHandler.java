package com.aimlib.gateway.live;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.Json;
import com.aimlib.gateway.sessions.BrowserSessions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live-view connection: the gateway holds its own CDP connection to the tab (never the customer's), starts a
 * JPEG screencast and forwards each frame as {@code {"type":"frame","data":<base64>,"metadata":{…}}}, acknowledging
 * it once the viewer's socket took it (so a slow viewer slows the screencast instead of queueing frames).
 *
 * <p>Input ({@code {"type":"mouse"|"key"|"text",…}}) is refused on a read-only link with
 * {@code {"type":"error","error":"read_only"}}; on an interactive link each event is checked field by field and the
 * gateway builds the {@code Input.dispatchMouseEvent} / {@code Input.dispatchKeyEvent} / {@code Input.insertText}
 * call itself: nothing the viewer sends reaches the browser as CDP, so no method outside these three can be called
 * from here (the relay's guard has nothing to judge on this path).
 */
final class LiveViewHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(LiveViewHandler.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Set<String> MOUSE = Set.of("mousePressed", "mouseReleased", "mouseMoved", "mouseWheel");
    private static final Set<String> BUTTONS = Set.of("none", "left", "middle", "right", "back", "forward");
    private static final Set<String> KEY = Set.of("keyDown", "keyUp", "rawKeyDown", "char");
    private static final String START = "{\"format\":\"jpeg\",\"quality\":70,\"maxWidth\":1280,\"maxHeight\":1280,\"everyNthFrame\":1}";

    private final BrowserSessions.RelayTarget target;
    private final String tab;
    private final boolean interactive;
    private final BrowserSessions sessions;
    private final ExecutorService blocking;
    private final AtomicInteger ids = new AtomicInteger();
    private final Object sendLock = new Object();
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    private volatile WebSocket upstream;
    private volatile Channel client;
    private volatile boolean closed;

    LiveViewHandler(BrowserSessions.RelayTarget target, String tab, boolean interactive, BrowserSessions sessions, ExecutorService blocking) {
        this.target = target;
        this.tab = tab;
        this.interactive = interactive;
        this.sessions = sessions;
        this.blocking = blocking;
    }

    /** Opens the tab's CDP connection (on a virtual thread) and starts the screencast. */
    void start(Channel ch) {
        this.client = ch;
        blocking.execute(() -> {
            URI uri = target.upstream(true, "/devtools/page/" + tab);
            try {
                WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
                target.upstreamHeaders().forEach(builder::header);
                WebSocket ws = builder.buildAsync(uri, new Upstream()).join();
                upstream = ws;
                if (closed) {
                    ws.abort();
                    return;
                }
                send("Page.startScreencast", START);
                toViewer(Json.MAPPER.createObjectNode().put("type", "hello").put("interactive", interactive).put("tab", tab));
            } catch (RuntimeException e) {
                log.info("live view: tab not reachable session={} cause={}", target.sessionId(), e.toString());
                toViewer(error(ErrorCode.TAB_NOT_FOUND, "the tab is closed or the browser is not reachable"));
                ch.writeAndFlush(new CloseWebSocketFrame(1011, "tab not reachable")).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    private void send(String method, String params) {
        WebSocket ws = upstream;
        if (ws == null) {
            return;
        }
        String msg = "{\"id\":" + ids.incrementAndGet() + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
        synchronized (sendLock) {
            // java.net.http allows one outstanding send: chain them.
            sending = sending.handle((v, x) -> null).thenCompose(v -> ws.sendText(msg, true));
        }
    }

    private void toViewer(ObjectNode msg) {
        Channel ch = client;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(new TextWebSocketFrame(msg.toString()));
        }
    }

    private static ObjectNode error(ErrorCode code, String message) {
        return Json.MAPPER.createObjectNode().put("type", "error").put("error", code.wire()).put("message", message);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            return;
        }
        if (frame instanceof CloseWebSocketFrame) {
            ctx.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!(frame instanceof TextWebSocketFrame text)) {
            return;
        }
        JsonNode in;
        try {
            in = Json.MAPPER.readTree(text.text());
        } catch (IOException e) {
            toViewer(error(ErrorCode.BAD_REQUEST, "not JSON"));
            return;
        }
        if (in == null || !in.isObject()) {
            toViewer(error(ErrorCode.BAD_REQUEST, "not a JSON object"));
            return;
        }
        String type = in.path("type").asText();
        if (!Set.of("mouse", "key", "text").contains(type)) {
            toViewer(error(ErrorCode.BAD_REQUEST, "type must be mouse, key or text"));
            return;
        }
        if (!interactive) {
            toViewer(error(ErrorCode.READ_ONLY, "this live-view link is read-only; list the pages with a sessions.write key for an interactive link"));
            return;
        }
        String problem = switch (type) {
            case "mouse" -> mouse(in);
            case "key" -> key(in);
            default -> text(in);
        };
        if (problem != null) {
            toViewer(error(ErrorCode.BAD_REQUEST, problem));
            return;
        }
        sessions.touch(target.sessionId());
    }

    private String mouse(JsonNode in) {
        String event = in.path("event").asText();
        if (!MOUSE.contains(event)) {
            return "mouse.event must be one of " + MOUSE;
        }
        Double x = coordinate(in.get("x"));
        Double y = coordinate(in.get("y"));
        if (x == null || y == null) {
            return "mouse.x and mouse.y must be numbers between 0 and 100000";
        }
        String button = in.path("button").asText("none");
        if (!BUTTONS.contains(button)) {
            return "mouse.button must be one of " + BUTTONS;
        }
        ObjectNode p = Json.MAPPER.createObjectNode().put("type", event).put("x", x).put("y", y).put("button", button)
                .put("clickCount", Math.max(0, Math.min(3, in.path("clickCount").asInt(0))))
                .put("modifiers", modifiers(in));
        if ("mouseWheel".equals(event)) {
            p.put("deltaX", clamp(in.path("deltaX").asDouble(0))).put("deltaY", clamp(in.path("deltaY").asDouble(0)));
        }
        send("Input.dispatchMouseEvent", p.toString());
        return null;
    }

    private String key(JsonNode in) {
        String event = in.path("event").asText();
        if (!KEY.contains(event)) {
            return "key.event must be one of " + KEY;
        }
        ObjectNode p = Json.MAPPER.createObjectNode().put("type", event).put("modifiers", modifiers(in));
        for (String f : new String[] {"key", "code", "text"}) {
            JsonNode v = in.get(f);
            if (v != null && !v.isNull()) {
                if (!v.isTextual() || v.asText().length() > 32) {
                    return "key." + f + " must be a string of at most 32 characters";
                }
                p.put(f, v.asText());
            }
        }
        int code = in.path("keyCode").asInt(0);
        if (code > 0 && code < 1024) {
            p.put("windowsVirtualKeyCode", code);
        }
        send("Input.dispatchKeyEvent", p.toString());
        return null;
    }

    private String text(JsonNode in) {
        JsonNode v = in.get("text");
        if (v == null || !v.isTextual() || v.asText().isEmpty() || v.asText().length() > 4096) {
            return "text.text must be a string of 1 to 4096 characters";
        }
        send("Input.insertText", Json.MAPPER.createObjectNode().put("text", v.asText()).toString());
        return null;
    }

    private static Double coordinate(JsonNode v) {
        if (v == null || !v.isNumber()) {
            return null;
        }
        double d = v.asDouble();
        return Double.isFinite(d) && d >= 0 && d <= 100_000 ? d : null;
    }

    private static double clamp(double d) {
        return Double.isFinite(d) ? Math.max(-100_000, Math.min(100_000, d)) : 0;
    }

    private static int modifiers(JsonNode in) {
        int m = in.path("modifiers").asInt(0);
        return m & 15;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        WebSocket ws = upstream;
        if (ws != null) {
            ws.abort();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** The tab's CDP messages: frames go to the viewer; the tab going away closes the viewer. */
    private final class Upstream implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String msg = text.toString();
                text.setLength(0);
                handle(msg);
            }
            ws.request(1);
            return null;
        }

        private void handle(String msg) {
            JsonNode m;
            try {
                m = Json.MAPPER.readTree(msg);
            } catch (IOException e) {
                return;
            }
            String method = m.path("method").asText("");
            if ("Page.screencastFrame".equals(method)) {
                JsonNode p = m.path("params");
                int frameId = p.path("sessionId").asInt();
                ObjectNode out = Json.MAPPER.createObjectNode().put("type", "frame").put("data", p.path("data").asText(""));
                out.set("metadata", p.path("metadata"));
                Channel ch = client;
                if (ch == null || !ch.isActive()) {
                    return;
                }
                ch.writeAndFlush(new TextWebSocketFrame(out.toString()))
                        .addListener(f -> send("Page.screencastFrameAck", "{\"sessionId\":" + frameId + "}"));
            } else if ("Inspector.detached".equals(method) || "Inspector.targetCrashed".equals(method)) {
                closeViewer(1001, "the tab closed");
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeViewer(1001, "the tab closed");
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closeViewer(1011, "the browser connection failed");
        }

        private void closeViewer(int code, String why) {
            Channel ch = client;
            if (ch != null && ch.isActive()) {
                ch.writeAndFlush(new CloseWebSocketFrame(code, why)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
