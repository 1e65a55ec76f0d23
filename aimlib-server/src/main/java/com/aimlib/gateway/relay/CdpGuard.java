package com.aimlib.gateway.relay;

import com.aimlib.gateway.http.Json;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Judges one client → browser CDP message before the relay forwards it: forward it, refuse it (the relay answers
 * the client with a CDP error instead), or forward a rewritten copy. The message is read with Jackson's streaming
 * parser, top-level {@code id}, {@code method} and {@code sessionId} only; {@code params} is read as a tree only for
 * the few guarded methods, so a 50 MB {@code Runtime.evaluate} or {@code Fetch.fulfillRequest} is scanned, never
 * materialised. What is refused, and why, is the table {@link #RULES}.
 *
 * <p>A text message that is not one well-formed JSON object (duplicate keys, trailing data, a non-string method) is
 * refused rather than forwarded: anything this parser cannot read is exactly where a parser differential with the
 * browser's own would hide a command.
 */
public final class CdpGuard {
    /** Guarded messages carry a URL or a few paths; above this they are refused rather than read into a tree. */
    static final int MAX_GUARDED = 16 * 1024 * 1024;
    private static final JsonFactory JSON = JsonFactory.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    /** Reads a nested object where the parser stands (the message goes on after it). */
    private static final com.fasterxml.jackson.databind.ObjectReader PARAMS = Json.MAPPER.readerFor(ObjectNode.class)
            .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> WEB_SCHEMES = Set.of("http", "https", "ws", "wss", "data", "blob");

    /** What the relay does with a message. */
    public sealed interface Verdict {
    }

    /** Forward the message as received. */
    public record Forward() implements Verdict {
    }

    /** Do not forward; send {@code reply} (a CDP error response, JSON) to the client. */
    public record Refuse(String reason, byte[] reply) implements Verdict {
    }

    /** Forward {@code message} (JSON) instead of what was received. */
    public record Rewrite(byte[] message) implements Verdict {
    }

    /**
     * A blank new tab ({@code Target.createTarget} with {@code url: "about:blank"} and nothing else; the tab limit
     * passed): the relay may answer it with a spare tab ({@link SpareTabs}), else forward it as received.
     */
    public record NewTab(JsonNode id, String sessionId) implements Verdict {
    }

    /** The outcome of a rule that lets a blank new tab be served by a spare. */
    private static final Object BLANK_TAB = new Object();

    private static final Verdict FORWARD = new Forward();

    /** One message's top-level fields; params only for guarded methods; {@code malformed}: what was read before the parser gave up. */
    private record Call(JsonNode id, String method, String sessionId, ObjectNode params, boolean malformed) {
    }

    /** A rule's answer: null = forward, a {@link Reason} = refuse, an ObjectNode = forward these params instead. */
    private record Reason(String text) {
    }

    /**
     * Every guarded method and why. Refusing by default is not an option: Playwright and Puppeteer use well over a
     * hundred methods. These are the ones that reach the host's files, other sessions, or around the device.
     */
    private static final Map<String, BiFunction<CdpGuard, ObjectNode, Object>> RULES = Map.ofEntries(
            // Navigations and loads: file:, chrome:, devtools:, view-source: … would read host files and browser internals.
            Map.entry("Page.navigate", (g, p) -> webUrl(p, "url", true)),
            // … and a new tab past the session's max_tabs (issue 14): every client gets the limit, not only the SDKs.
            Map.entry("Target.createTarget", (g, p) -> {
                Object url = webUrl(p, "url", true);
                if (url != null) {
                    return url;
                }
                Object limit = g.tabLimit();
                if (limit != null) {
                    return limit;
                }
                return g.spares && p.size() == 1 && "about:blank".equals(p.path("url").asText()) ? BLANK_TAB : null;
            }),
            // Not refused, only noted: the tab it closes stops counting at once. A client (Playwright's page.close())
            // may see its tab gone on its own connection before the tab counter's connection hears of it, and then
            // open the next one (a full suite run once refused that create as past max_tabs).
            Map.entry("Target.closeTarget", (g, p) -> {
                if (g.tabs != null && p.path("targetId").isTextual()) {
                    g.tabs.closing(p.path("targetId").asText());
                }
                return null;
            }),
            // Loads a resource in the browser process; it serves file: URLs (source maps) from the host's disk.
            Map.entry("Network.loadNetworkResource", (g, p) -> webUrl(p, "url", true)),
            // An intercepted request may be redirected to another URL; only web URLs.
            Map.entry("Fetch.continueRequest", (g, p) -> webUrl(p, "url", false)),
            Map.entry("Network.continueInterceptedRequest", (g, p) -> webUrl(p, "url", false)),
            // File inputs and dropped files read host paths: only the session's own downloads.
            Map.entry("DOM.setFileInputFiles", (g, p) -> g.ownFiles(p.path("files"))),
            Map.entry("Input.dispatchDragEvent", (g, p) -> g.ownFiles(p.path("data").path("files"))),
            // Downloads land where the client says; Playwright sends its own machine's temp dir at connect, so the
            // path is rewritten to the session's downloads dir instead of refused.
            Map.entry("Browser.setDownloadBehavior", CdpGuard::ownDownloads),
            Map.entry("Page.setDownloadBehavior", CdpGuard::ownDownloads),
            // A context with its own proxy would egress from the host instead of the device.
            Map.entry("Target.createBrowserContext", (g, p) -> p.has("proxyServer") || p.has("proxyBypassList")
                    ? new Reason("a browser context with its own proxy would bypass the device") : null),
            // Makes the browser dial arbitrary host:ports to discover remote targets.
            Map.entry("Target.setRemoteLocations", (g, p) -> new Reason("Target.setRemoteLocations is not allowed")),
            // Gives a page's JavaScript a CDP binding: the page could then send what this guard refuses.
            Map.entry("Target.exposeDevToolsProtocol", (g, p) -> new Reason("Target.exposeDevToolsProtocol is not allowed")),
            // The unflattened way to talk to a target carries a whole CDP message as a string this guard would not
            // read: Page.navigate to file: inside it would pass. Playwright and Puppeteer use flat sessions instead.
            Map.entry("Target.sendMessageToTarget", (g, p) -> new Reason("Target.sendMessageToTarget is not allowed: attach with flatten: true")),
            // The old file-chooser answer takes host paths like DOM.setFileInputFiles.
            Map.entry("Page.handleFileChooser", (g, p) -> g.ownFiles(p.path("files"))),
            // Kill the browser process or the GPU process of the host.
            Map.entry("Browser.crash", (g, p) -> new Reason("Browser.crash is not allowed")),
            Map.entry("Browser.crashGpuProcess", (g, p) -> new Reason("Browser.crashGpuProcess is not allowed")),
            // The command line names the host's user-data-dir and the bridge's port.
            Map.entry("Browser.getBrowserCommandLine", (g, p) -> new Reason("Browser.getBrowserCommandLine is not allowed")),
            // Host process ids and CPU times: information about the host, not the session.
            Map.entry("SystemInfo.getProcessInfo", (g, p) -> new Reason("SystemInfo.getProcessInfo is not allowed")),
            // A perfetto config is an opaque protobuf that can name an output file on the host.
            Map.entry("Tracing.start", (g, p) -> p.has("perfettoConfig") ? new Reason("Tracing.start with a perfettoConfig is not allowed") : null));

    /** Whole domains: Extensions.loadUnpacked takes a host path; PWA.install takes a bundle URL or path and installs into the profile. */
    private static final Set<String> REFUSED_DOMAINS = Set.of("Extensions", "PWA");

    /** The session's open tabs, as the relay counts them for {@code max_tabs}. */
    public interface TabGate {
        /** Whether one more tab fits (and if so, holds its place until it opens). */
        boolean tryOpen();

        /** A client asked to close this tab: it no longer counts (for a few seconds, unless it really goes). */
        default void closing(String targetId) {
        }

        int max();
    }

    private final Path downloads;
    private final TabGate tabs;
    /** Whether a blank new tab may be served by a spare ({@link NewTab}); else it is forwarded. */
    private boolean spares;

    /** {@code downloadsDir}: the session's own downloads directory on the host, or null (then no host path is allowed). */
    public CdpGuard(String downloadsDir) {
        this(downloadsDir, null);
    }

    /** {@code tabs}: the session's tab count, or null for no tab limit. */
    public CdpGuard(String downloadsDir, TabGate tabs) {
        this.downloads = downloadsDir == null ? null : Path.of(downloadsDir).toAbsolutePath().normalize();
        this.tabs = tabs;
    }

    /** Lets blank new tabs be answered with the session's spare tabs ({@link NewTab} verdicts). */
    CdpGuard withSpares() {
        this.spares = true;
        return this;
    }

    private Object tabLimit() {
        if (tabs == null || tabs.tryOpen()) {
            return null;
        }
        return new Reason("max_tabs reached: this session allows " + tabs.max() + " open tabs (the initial tab and popups count); "
                + "close a tab or start another session");
    }

    /** Judges one complete, unmasked text message. */
    public Verdict judge(ByteBuf message) {
        Call call = read(message, false);
        if (call.malformed()) {
            return refuse(call, "not a well-formed CDP message");
        }
        if (call.method() == null) {
            return FORWARD; // nothing to dispatch: the browser answers with its own error
        }
        int dot = call.method().indexOf('.');
        if (dot > 0 && REFUSED_DOMAINS.contains(call.method().substring(0, dot))) {
            return refuse(call, call.method() + " is not allowed");
        }
        BiFunction<CdpGuard, ObjectNode, Object> rule = RULES.get(call.method());
        if (rule == null) {
            return FORWARD;
        }
        if (message.readableBytes() > MAX_GUARDED) {
            return refuse(call, call.method() + " message too large to inspect");
        }
        call = read(message, true);
        if (call.malformed()) {
            return refuse(call, "not a well-formed CDP message");
        }
        ObjectNode params = call.params() != null ? call.params() : Json.MAPPER.createObjectNode();
        Object outcome = rule.apply(this, params);
        if (outcome == null) {
            return FORWARD;
        }
        if (outcome instanceof Reason r) {
            return refuse(call, r.text());
        }
        if (outcome == BLANK_TAB) {
            return new NewTab(call.id(), call.sessionId());
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        if (call.id() != null) {
            out.set("id", call.id());
        }
        out.put("method", call.method());
        if (call.sessionId() != null) {
            out.put("sessionId", call.sessionId());
        }
        out.set("params", (ObjectNode) outcome);
        return new Rewrite(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Call read(ByteBuf message, boolean withParams) {
        JsonNode id = null;
        String method = null;
        String sessionId = null;
        ObjectNode params = null;
        try (JsonParser p = JSON.createParser((java.io.InputStream) new ByteBufInputStream(message.duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "id" -> {
                        if (v == JsonToken.VALUE_NUMBER_INT) {
                            id = Json.MAPPER.getNodeFactory().numberNode(p.getLongValue());
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "method" -> {
                        if (v != JsonToken.VALUE_STRING) {
                            throw new IOException("method is not a string");
                        }
                        method = p.getText();
                    }
                    case "sessionId" -> {
                        if (v == JsonToken.VALUE_STRING) {
                            sessionId = p.getText();
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "params" -> {
                        if (withParams && v == JsonToken.START_OBJECT) {
                            params = PARAMS.readValue(p);
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IOException("trailing data");
            }
        } catch (IOException | RuntimeException e) {
            return new Call(id, method, sessionId, params, true);
        }
        return new Call(id, method, sessionId, params, false);
    }

    private static Refuse refuse(Call call, String reason) {
        return refuse(call == null ? null : call.id(), call == null ? null : call.sessionId(), reason);
    }

    private static Refuse refuse(JsonNode id, String sessionId, String reason) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        if (id != null) {
            r.set("id", id);
        }
        if (sessionId != null) {
            r.put("sessionId", sessionId);
        }
        r.putObject("error").put("code", -32000).put("message", "aimlib: " + reason);
        return new Refuse(reason, r.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---- rules ----

    private static Object webUrl(ObjectNode params, String field, boolean required) {
        JsonNode url = params.get(field);
        if (url == null && !required) {
            return null;
        }
        if (url == null || !url.isTextual()) {
            return new Reason("a URL is required");
        }
        return isWebUrl(url.asText()) ? null : new Reason("only http(s), ws(s), data, blob and about:blank URLs are allowed");
    }

    /**
     * Whether a URL is one a customer's browser may load. Read the way a URL parser reads it: leading and trailing
     * C0 controls and spaces are stripped and tabs and newlines anywhere are dropped, the scheme is case-insensitive.
     */
    static boolean isWebUrl(String raw) {
        StringBuilder sb = new StringBuilder(Math.min(raw.length(), 64));
        int start = 0;
        while (start < raw.length() && raw.charAt(start) <= 0x20) {
            start++;
        }
        for (int i = start; i < raw.length() && sb.length() < 64; i++) {
            char c = raw.charAt(i);
            if (c != '\t' && c != '\n' && c != '\r') {
                sb.append(c);
            }
        }
        String head = sb.toString();
        int colon = head.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String scheme = head.substring(0, colon);
        if (!scheme.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
            return false;
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        if (WEB_SCHEMES.contains(scheme)) {
            return true;
        }
        if (!scheme.equals("about")) {
            return false;
        }
        String rest = head.substring(colon + 1).toLowerCase(Locale.ROOT);
        int end = rest.length();
        for (int i = 0; i < rest.length(); i++) {
            if (rest.charAt(i) == '?' || rest.charAt(i) == '#') {
                end = i;
                break;
            }
        }
        String page = rest.substring(0, end);
        return page.equals("blank") || page.equals("srcdoc");
    }

    private Object ownFiles(JsonNode files) {
        if (files.isMissingNode() || files.isNull()) {
            return null;
        }
        if (!files.isArray()) {
            return new Reason("files must be an array of paths");
        }
        for (JsonNode f : files) {
            if (!f.isTextual() || !isOwnFile(f.asText())) {
                return new Reason(downloads == null ? "host files are not allowed"
                        : "only files in the session's downloads directory are allowed");
            }
        }
        return null;
    }

    /**
     * A path inside the session's downloads directory: absolute, no {@code ..} segment, and — if it exists here —
     * its real path (symlinks followed) still inside. Only the browser writes into that directory, and it writes
     * downloads, never links; the real-path check is the second lock. A stat per path, on the rare file-input call.
     */
    boolean isOwnFile(String raw) {
        if (downloads == null || raw.isEmpty() || raw.indexOf('\0') >= 0) {
            return false;
        }
        try {
            Path p = Path.of(raw);
            if (!p.isAbsolute()) {
                return false;
            }
            for (Path part : p) {
                if (part.toString().equals("..")) {
                    return false;
                }
            }
            Path n = p.normalize();
            if (!n.startsWith(downloads) || n.equals(downloads)) {
                return false;
            }
            if (Files.exists(n, LinkOption.NOFOLLOW_LINKS)) {
                return n.toRealPath().startsWith(downloads.toRealPath());
            }
            return true;
        } catch (InvalidPathException | IOException e) {
            return false;
        }
    }

    private Object ownDownloads(ObjectNode params) {
        ObjectNode out = params.deepCopy();
        if (downloads == null) {
            out.remove("downloadPath");
            out.put("behavior", "deny");
            return out;
        }
        if (!params.has("downloadPath")) {
            return null; // "deny" / "default": the profile's default directory is the session's own
        }
        out.put("downloadPath", downloads.toString());
        return out;
    }
}
