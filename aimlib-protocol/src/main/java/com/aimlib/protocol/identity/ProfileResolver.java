package com.aimlib.protocol.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The effective profile of a session: a catalogue entry plus the customer's validated overrides, with every value
 * that depends on an override derived again (screen/dpi → dpr, CSS screen, viewport; ram → deviceMemory; Android
 * version → build and platformVersion; locale → languages). The result is the flat {@code resolved_profile}
 * documented in docs/identity.md: every key always present.
 */
public final class ProfileResolver {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final DeviceCatalogue catalogue;

    public ProfileResolver(DeviceCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    /**
     * Where the session runs: the device's own time zone and locale, and the full version of the Chromium the
     * browser host really runs ("156.0.8078.108").
     */
    public record Context(String timezone, String locale, String chromeFullVersion, RandomGenerator random) {
    }

    /** Resolves overrides that {@link ProfileOverrides#validate} produced. */
    public ObjectNode resolve(ObjectNode o, Context ctx) {
        String asked = o.path("device").asText(DeviceCatalogue.DEFAULT_DEVICE);
        CatalogueDevice d = DeviceCatalogue.RANDOM.equals(asked) ? catalogue.random(ctx.random())
                : catalogue.find(asked).orElseThrow(() -> new ProfileInvalidException("device", "unknown device " + asked));
        String chromeMajor = ctx.chromeFullVersion().split("\\.")[0];
        String android = o.path("android_version").asText(d.androidVersion());
        CatalogueDevice.Build build = build(d, android);
        String model = o.path("model").asText(d.model());
        String locale = o.path("locale").asText(ctx.locale());
        int ram = o.path("ram_gb").asInt(d.ramGb());

        ObjectNode p = F.objectNode();
        p.put("device", d.name());
        p.put("model", model);
        p.put("brand", o.path("brand").asText(d.brand()));
        p.put("manufacturer", o.path("manufacturer").asText(d.manufacturer()));
        p.put("android_version", android);
        p.put("build_fingerprint", o.path("build_fingerprint").asText(build.buildFingerprint()));
        p.put("security_patch", o.path("security_patch").asText(build.securityPatch()));
        p.put("chrome_version", chromeMajor);
        if (o.has("chrome_version") && !o.get("chrome_version").asText().equals(chromeMajor)) {
            p.put("chrome_version_requested", o.get("chrome_version").asText());
        }
        p.put("timezone", o.path("timezone").asText(ctx.timezone()));
        p.put("locale", locale);
        p.set("languages", languages(locale));
        p.put("cores", o.path("cores").asInt(d.cores()));
        p.put("ram_gb", ram);
        if (o.has("ram_gb")) {
            p.put("device_memory", deviceMemory(ram));
        } else {
            p.put("device_memory", d.deviceMemory());
        }
        display(p, d, o);
        p.put("touch_points", o.path("touch_points").asInt(d.touchPoints()));
        p.set("webgl", webgl(d, o.get("webgl")));
        p.set("fonts", o.has("fonts") ? o.get("fonts").deepCopy() : strings(d.fonts()));
        p.put("audio_sample_rate", o.path("audio_48khz").asBoolean(true) ? d.audioSampleRate() : 44100);
        p.put("storage_quota", o.path("storage_quota").asLong(d.storageQuota()));
        p.set("battery", o.has("battery") ? o.get("battery").deepCopy() : F.objectNode()
                .put("level", (30 + ctx.random().nextInt(66)) / 100.0).put("charging", false));
        p.put("webrtc_block", o.path("webrtc_block").asBoolean(true));
        p.put("ipv6_block", o.path("ipv6_block").asBoolean(true));
        p.put("dns_leak_block", o.path("dns_leak_block").asBoolean(true));
        p.put("tls_randomize", false);
        if (o.path("tls_randomize").asBoolean(false)) {
            p.set("unsupported", F.arrayNode().add("tls_randomize"));
        }
        p.put("user_agent", ChromeClientHints.userAgent(Integer.parseInt(chromeMajor)));
        p.set("ua_ch", ChromeClientHints.uaCh(ctx.chromeFullVersion(), model, android));
        return p;
    }

    /** The device's build for that Android version, or its newest build renamed to it (a version it never ran). */
    private static CatalogueDevice.Build build(CatalogueDevice d, String android) {
        CatalogueDevice.Build b = d.builds().get(android);
        if (b != null) {
            return b;
        }
        return new CatalogueDevice.Build(d.buildFingerprint().replace(":" + d.androidVersion() + "/", ":" + android + "/"),
                d.securityPatch());
    }

    private static void display(ObjectNode p, CatalogueDevice d, ObjectNode o) {
        if (!o.has("screen") && !o.has("dpi")) {
            p.set("screen", ints(d.screen().get(0), d.screen().get(1)));
            p.put("dpi", d.dpi());
            p.put("dpr", d.dpr());
            p.set("css_screen", ints(d.cssScreen().get(0), d.cssScreen().get(1)));
            p.set("viewport", ints(d.viewport().get(0), d.viewport().get(1)));
            return;
        }
        int w = o.has("screen") ? o.get("screen").get(0).asInt() : d.screen().get(0);
        int h = o.has("screen") ? o.get("screen").get(1).asInt() : d.screen().get(1);
        int dpi = o.path("dpi").asInt(d.dpi());
        double dpr = dpi / 160.0;
        int cssW = (int) Math.ceil(w / dpr - 1e-9);
        int cssH = (int) Math.ceil(h / dpr - 1e-9);
        p.set("screen", ints(w, h));
        p.put("dpi", dpi);
        p.put("dpr", dpr);
        p.set("css_screen", ints(cssW, cssH));
        p.set("viewport", ints(cssW, Math.max(1, cssH - d.systemBarsCss())));
    }

    /** Chrome's navigator.deviceMemory: the nearest power of two of what the kernel reports, at most 8. */
    static double deviceMemory(int ramGb) {
        double usable = ramGb * 0.93;
        double lower = Math.pow(2, Math.floor(Math.log(usable) / Math.log(2)));
        double bucket = usable - lower < 2 * lower - usable ? lower : 2 * lower;
        return Math.max(0.25, Math.min(8, bucket));
    }

    /** "de-DE" → ["de-DE", "de", "en-US", "en"]: the locale, its language, and English after it as Chrome adds. */
    static ArrayNode languages(String locale) {
        String language = Locale.forLanguageTag(locale).getLanguage();
        Set<String> out = new LinkedHashSet<>(java.util.List.of(locale, language));
        if (!language.equals("en")) {
            out.add("en-US");
            out.add("en");
        }
        ArrayNode a = F.arrayNode();
        out.forEach(a::add);
        return a;
    }

    private static ObjectNode webgl(CatalogueDevice d, JsonNode override) {
        ObjectNode w = F.objectNode();
        w.put("vendor", d.gpu().vendor());
        w.put("renderer", d.gpu().renderer());
        for (Map.Entry<String, Object> e : d.webgl().entrySet()) {
            w.set(e.getKey(), toNode(e.getValue()));
        }
        if (override != null && override.isObject()) {
            w.setAll((ObjectNode) override);
        }
        return w;
    }

    private static JsonNode toNode(Object v) {
        if (v instanceof Number n) {
            return F.numberNode(n.longValue());
        }
        ArrayNode a = F.arrayNode();
        ((Iterable<?>) v).forEach(x -> a.add(((Number) x).longValue()));
        return a;
    }

    private static ArrayNode ints(int a, int b) {
        return F.arrayNode().add(a).add(b);
    }

    private static ArrayNode strings(Iterable<String> s) {
        ArrayNode a = F.arrayNode();
        s.forEach(a::add);
        return a;
    }
}
