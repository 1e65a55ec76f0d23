package com.aimlib.protocol.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The CDP commands that give one target (page, iframe, worker) a session's resolved identity, serialised once per
 * session. Shared by the browser host (its own browser-level connection applies them to every target) and the CDP
 * relay (which sends them on a client's own session the moment that client's auto-attach reports a new target, ahead
 * of anything the client sends, so the target's first request and first script already have them). Neither enables
 * the Runtime, Console or Debugger domain.
 */
public final class TargetOverrides {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SCRIPT = load();
    /** Real 64-bit Chrome on a 64-bit-only Android phone (every device of the catalogue) reports this. */
    public static final String NAVIGATOR_PLATFORM = "Linux aarch64";

    /** resolved_profile.webgl keys and the getParameter enums they answer. */
    private static final Map<String, Integer> GL_LIMITS = Map.ofEntries(
            Map.entry("max_texture_size", 0x0D33), Map.entry("max_cube_map_texture_size", 0x851C),
            Map.entry("max_renderbuffer_size", 0x84E8), Map.entry("max_viewport_dims", 0x0D3A),
            Map.entry("max_vertex_attribs", 0x8869), Map.entry("max_vertex_uniform_vectors", 0x8DFB),
            Map.entry("max_fragment_uniform_vectors", 0x8DFD), Map.entry("max_varying_vectors", 0x8DFC),
            Map.entry("max_texture_image_units", 0x8872), Map.entry("max_vertex_texture_image_units", 0x8B4C),
            Map.entry("max_combined_texture_image_units", 0x8B4D), Map.entry("aliased_line_width_range", 0x846E),
            Map.entry("aliased_point_size_range", 0x846D));

    /** {@code Target.setAutoAttach} parameters: every child target attaches paused, in flat mode. */
    public static final String AUTO_ATTACH = "{\"autoAttach\":true,\"waitForDebuggerOnStart\":true,\"flatten\":true}";

    /** One CDP call: its method and its parameters as JSON text. */
    public record Command(String method, String params) {
    }

    private final ObjectNode profile;
    private final String nonce;
    private final List<Command> page;
    private final List<Command> iframe;
    private final List<Command> worker;
    private final List<Command> clientPage;
    private final List<Command> clientIframe;
    private final List<Command> clientWorker;

    private TargetOverrides(ObjectNode profile, String nonce) {
        this.profile = profile;
        this.nonce = nonce;
        String ua = userAgentOverride().toString();
        String script = script();
        String cores = MAPPER.createObjectNode().put("hardwareConcurrency", profile.path("cores").asInt(8)).toString();
        String locale = MAPPER.createObjectNode().put("locale", clean(profile.path("locale").asText("en-US")).replace('_', '-')).toString();
        String touch = MAPPER.createObjectNode().put("enabled", true).put("maxTouchPoints", profile.path("touch_points").asInt(5)).toString();
        String autoAttach = AUTO_ATTACH;
        String newDocument = MAPPER.createObjectNode().put("source", script).put("runImmediately", true).toString();
        List<Command> doc = new ArrayList<>();
        // The user agent first: it is what the target's first request carries.
        doc.add(new Command("Emulation.setUserAgentOverride", ua));
        // Page.enable is what makes Blink run scripts added for new documents; it is not Runtime.
        doc.add(new Command("Page.enable", "{}"));
        doc.add(new Command("Page.addScriptToEvaluateOnNewDocument", newDocument));
        List<Command> p = new ArrayList<>(doc);
        p.add(new Command("Emulation.setDeviceMetricsOverride", deviceMetrics().toString()));
        List<Command> f = new ArrayList<>(doc);
        for (List<Command> l : List.of(p, f)) {
            l.add(new Command("Emulation.setTouchEmulationEnabled", touch));
            l.add(new Command("Emulation.setHardwareConcurrencyOverride", cores));
            l.add(new Command("Emulation.setLocaleOverride", locale));
            // Children (out-of-process iframes, dedicated workers) attach to this session, paused like their parent.
            l.add(new Command("Target.setAutoAttach", autoAttach));
        }
        List<Command> w = new ArrayList<>();
        w.add(new Command("Network.setUserAgentOverride", ua));
        w.add(new Command("Emulation.setHardwareConcurrencyOverride", cores));
        w.add(new Command("Emulation.setLocaleOverride", locale));
        w.add(new Command("Target.setAutoAttach", autoAttach));
        w.add(new Command("Runtime.evaluate", MAPPER.createObjectNode().put("expression", script).put("silent", true).toString()));
        this.page = List.copyOf(p);
        this.iframe = List.copyOf(f);
        this.worker = List.copyOf(w);
        this.clientPage = withoutAutoAttach(p);
        this.clientIframe = withoutAutoAttach(f);
        this.clientWorker = withoutAutoAttach(w);
    }

    private static List<Command> withoutAutoAttach(List<Command> l) {
        return l.stream().filter(c -> !c.method().equals("Target.setAutoAttach")).toList();
    }

    /** {@code session}: the browser session's id; the script's once-only guard is derived from it. */
    public static TargetOverrides of(ObjectNode resolvedProfile, UUID session) {
        return new TargetOverrides(resolvedProfile, nonce(session));
    }

    /** The commands for a target of this CDP type ("page", "iframe", "worker", "shared_worker", "service_worker"); empty for other types. */
    public List<Command> forTarget(String type) {
        if ("page".equals(type)) {
            return page;
        }
        if ("iframe".equals(type)) {
            return iframe;
        }
        return type != null && type.endsWith("worker") ? worker : List.of();
    }

    /**
     * The same for a client's own session: without {@code Target.setAutoAttach}, which would change what that client
     * is told about (its children would wait for a resume it never sends); the client's own auto-attach brings them.
     */
    public List<Command> forClientSession(String type) {
        if ("page".equals(type)) {
            return clientPage;
        }
        if ("iframe".equals(type)) {
            return clientIframe;
        }
        return type != null && type.endsWith("worker") ? clientWorker : List.of();
    }

    /**
     * A JavaScript expression, true in a document once the host's overrides are in effect there: identity.js has run
     * (its once-only guard answers this session's nonce) and the screen, pixel ratio and cores are the profile's. Read
     * by the relay's spare tabs before one is handed out; evaluating it leaves nothing a page can see.
     */
    public String appliedProbe() {
        int[] screen = pair(profile, "css_screen");
        return "(() => { try { return Function.prototype.toString.call(undefined, " + MAPPER.getNodeFactory().textNode(nonce)
                + ") === " + MAPPER.getNodeFactory().textNode(nonce) + " && screen.width === " + screen[0] + " && screen.height === "
                + screen[1] + " && devicePixelRatio === " + profile.path("dpr").asDouble(2.625) + " && navigator.hardwareConcurrency === "
                + profile.path("cores").asInt(8) + "; } catch (e) { return false; } })()";
    }

    public ObjectNode userAgentOverride() {
        ObjectNode ch = (ObjectNode) profile.path("ua_ch");
        ObjectNode meta = MAPPER.createObjectNode();
        meta.set("brands", ch.path("brands"));
        meta.set("fullVersionList", ch.path("full_version_list"));
        meta.put("fullVersion", ch.path("full_version").asText());
        meta.put("platform", ch.path("platform").asText("Android"));
        meta.put("platformVersion", ch.path("platform_version").asText());
        meta.put("architecture", ch.path("architecture").asText(""));
        meta.put("model", ch.path("model").asText());
        meta.put("mobile", ch.path("mobile").asBoolean(true));
        meta.put("bitness", ch.path("bitness").asText(""));
        meta.put("wow64", ch.path("wow64").asBoolean(false));
        ArrayNode ff = meta.putArray("formFactors");
        ch.path("form_factors").forEach(ff::add);
        ObjectNode p = MAPPER.createObjectNode().put("userAgent", profile.path("user_agent").asText())
                .put("acceptLanguage", languages(profile)).put("platform", NAVIGATOR_PLATFORM);
        p.set("userAgentMetadata", meta);
        return p;
    }

    public ObjectNode deviceMetrics() {
        int[] vp = pair(profile, "viewport");
        int[] screen = pair(profile, "css_screen");
        ObjectNode p = MAPPER.createObjectNode().put("width", vp[0]).put("height", vp[1])
                .put("deviceScaleFactor", profile.path("dpr").asDouble(2.625)).put("mobile", true)
                .put("screenWidth", screen[0]).put("screenHeight", screen[1]);
        p.putObject("screenOrientation").put("type", "portraitPrimary").put("angle", 0);
        return p;
    }

    /** The in-page script with this profile's values: runs before any script of a document or worker. */
    public String script() {
        ObjectNode v = MAPPER.createObjectNode();
        v.put("nonce", nonce);
        v.put("deviceMemory", profile.path("device_memory").asDouble(8));
        v.put("platform", NAVIGATOR_PLATFORM);
        JsonNode gl = profile.path("webgl");
        v.put("glVendor", gl.path("vendor").asText());
        v.put("glRenderer", gl.path("renderer").asText());
        ObjectNode limits = v.putObject("glLimits");
        GL_LIMITS.forEach((key, pname) -> {
            if (gl.has(key)) {
                limits.set(Integer.toString(pname), gl.get(key));
            }
        });
        v.put("sampleRate", profile.path("audio_sample_rate").asInt(48000));
        v.put("quota", profile.path("storage_quota").asLong(64L << 30));
        v.put("batteryLevel", profile.path("battery").path("level").asDouble(1));
        v.put("charging", profile.path("battery").path("charging").asBoolean(true));
        return "(" + SCRIPT.strip() + ")(" + v + ");";
    }

    /** navigator.languages, comma-separated, as --accept-lang wants it (Chromium adds the q-values). */
    public static String languages(ObjectNode profile) {
        List<String> l = new ArrayList<>();
        profile.path("languages").forEach(n -> l.add(clean(n.asText())));
        if (l.isEmpty() && !profile.path("locale").asText("").isEmpty()) {
            l.add(clean(profile.path("locale").asText()));
        }
        return String.join(",", l);
    }

    /** A {@code [width, height]} key of the profile (the catalogue's phones are 412 × 915 CSS px when it is missing). */
    public static int[] pair(ObjectNode profile, String key) {
        return new int[] {profile.path(key).path(0).asInt(412), profile.path(key).path(1).asInt(915)};
    }

    /** Keeps a value safe for a command-line flag or an environment variable. */
    public static String clean(String s) {
        return s.replaceAll("[^A-Za-z0-9 ._/+:;(),-]", "").trim();
    }

    /** A value no page can guess (it never sees the session id), equal on every role that knows the session. */
    private static String nonce(UUID session) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("aimlib-identity-once:" + session).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String load() {
        try (InputStream in = TargetOverrides.class.getResourceAsStream("identity.js")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "TargetOverrides[" + profile.path("device").asText() + "]";
    }
}
