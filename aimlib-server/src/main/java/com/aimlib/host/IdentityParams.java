package com.aimlib.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a resolved profile means to Chromium: the process-wide launch flags and environment, the per-target CDP
 * parameters, and the script for the signals CDP cannot set. Reads only the resolved-profile schema's keys.
 */
final class IdentityParams {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SCRIPT = load();
    /** Real 64-bit Chrome on a 64-bit-only Android phone (every device of the catalogue) reports this. */
    static final String NAVIGATOR_PLATFORM = "Linux aarch64";

    /** resolved_profile.webgl keys and the getParameter enums they answer. */
    private static final java.util.Map<String, Integer> GL_LIMITS = java.util.Map.ofEntries(
            java.util.Map.entry("max_texture_size", 0x0D33), java.util.Map.entry("max_cube_map_texture_size", 0x851C),
            java.util.Map.entry("max_renderbuffer_size", 0x84E8), java.util.Map.entry("max_viewport_dims", 0x0D3A),
            java.util.Map.entry("max_vertex_attribs", 0x8869), java.util.Map.entry("max_vertex_uniform_vectors", 0x8DFB),
            java.util.Map.entry("max_fragment_uniform_vectors", 0x8DFD), java.util.Map.entry("max_varying_vectors", 0x8DFC),
            java.util.Map.entry("max_texture_image_units", 0x8872), java.util.Map.entry("max_vertex_texture_image_units", 0x8B4C),
            java.util.Map.entry("max_combined_texture_image_units", 0x8B4D), java.util.Map.entry("aliased_line_width_range", 0x846E),
            java.util.Map.entry("aliased_point_size_range", 0x846D));

    private final ObjectNode profile;

    IdentityParams(ObjectNode profile) {
        this.profile = profile;
    }

    ObjectNode profile() {
        return profile;
    }

    /** Launch flags that are process-wide (everything else is applied per target). */
    List<String> flags() {
        List<String> f = new ArrayList<>();
        // Blink's runtime features as Android Chrome ships them: no automation flag, no audio output device selection
        // (HTMLMediaElement.sinkId); window.orientation with onorientationchange, and NetworkInformation's type,
        // downlinkMax and ontypechange.
        f.add("--disable-blink-features=AutomationControlled,AudioOutputDevices");
        f.add("--enable-blink-features=OrientationEvent,NetInfoDownlinkMax");
        f.add("--user-agent=" + clean(profile.path("user_agent").asText()));
        int[] vp = pair("viewport");
        f.add("--window-size=" + vp[0] + "," + vp[1]);
        // The headless screen itself (physical pixels and DPR; portrait because taller than wide): what out-of-process
        // iframes report, since Emulation.setDeviceMetricsOverride reaches only the page's own frame tree.
        int[] screen = pair("screen");
        f.add("--screen-info={0,0 " + screen[0] + "x" + screen[1] + " devicePixelRatio=" + profile.path("dpr").asDouble(2.625) + "}");
        String langs = languages();
        if (!langs.isEmpty()) {
            f.add("--lang=" + clean(profile.path("languages").path(0).asText()));
            f.add("--accept-lang=" + langs);
        }
        if (profile.path("webrtc_block").asBoolean(true)) {
            f.add("--force-webrtc-ip-handling-policy=disable_non_proxied_udp");
            f.add("--webrtc-ip-handling-policy=disable_non_proxied_udp");
        }
        if (profile.path("dns_leak_block").asBoolean(true)) {
            // Every name must resolve at the proxy (the device): no prefetch, no local resolver in use at all.
            f.add("--dns-prefetch-disable");
            f.add("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost");
        }
        return f;
    }

    /** Chromium's environment: the time zone (Date, Intl, and every worker follow TZ). */
    String timezone() {
        return clean(profile.path("timezone").asText("UTC"));
    }

    /** navigator.languages, comma-separated, as --accept-lang wants it (Chromium adds the q-values). */
    String languages() {
        List<String> l = new ArrayList<>();
        profile.path("languages").forEach(n -> l.add(clean(n.asText())));
        if (l.isEmpty() && !profile.path("locale").asText("").isEmpty()) {
            l.add(clean(profile.path("locale").asText()));
        }
        return String.join(",", l);
    }

    ObjectNode userAgentOverride() {
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
                .put("acceptLanguage", languages()).put("platform", NAVIGATOR_PLATFORM);
        p.set("userAgentMetadata", meta);
        return p;
    }

    ObjectNode deviceMetrics() {
        int[] vp = pair("viewport");
        int[] screen = pair("css_screen");
        ObjectNode p = MAPPER.createObjectNode().put("width", vp[0]).put("height", vp[1])
                .put("deviceScaleFactor", profile.path("dpr").asDouble(2.625)).put("mobile", true)
                .put("screenWidth", screen[0]).put("screenHeight", screen[1]);
        p.putObject("screenOrientation").put("type", "portraitPrimary").put("angle", 0);
        return p;
    }

    ObjectNode touch() {
        return MAPPER.createObjectNode().put("enabled", true).put("maxTouchPoints", profile.path("touch_points").asInt(5));
    }

    ObjectNode cores() {
        return MAPPER.createObjectNode().put("hardwareConcurrency", profile.path("cores").asInt(8));
    }

    ObjectNode locale() {
        return MAPPER.createObjectNode().put("locale", clean(profile.path("locale").asText("en-US")).replace('_', '-'));
    }

    /** The in-page script with this profile's values: runs before any script of a document or worker. */
    String script() {
        ObjectNode v = MAPPER.createObjectNode();
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

    private int[] pair(String key) {
        return new int[] {profile.path(key).path(0).asInt(412), profile.path(key).path(1).asInt(915)};
    }

    /** Keeps a value safe for a command-line flag or an environment variable. */
    static String clean(String s) {
        return s.replaceAll("[^A-Za-z0-9 ._/+:;(),-]", "").trim();
    }

    private static String load() {
        try (InputStream in = IdentityParams.class.getResourceAsStream("identity.js")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
