package com.aimlib.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Named device profiles and the resolution of a session's sanitized profile: the named device's
 * defaults, overridden key by key by what the customer sent.
 */
public final class DeviceProfiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String DEFAULT = "pixel-8";
    private static final Map<String, String> DEVICES = Map.of(
            "pixel-8", """
                    {"model":"Pixel 8","brand":"google","manufacturer":"Google","android_version":"14","screen":[1080,2400],
                     "dpi":420,"cores":8,"ram_gb":8,"touch_points":5,"timezone":"UTC","locale":"en-US"}""",
            "pixel-8-pro", """
                    {"model":"Pixel 8 Pro","brand":"google","manufacturer":"Google","android_version":"14","screen":[1344,2992],
                     "dpi":480,"cores":8,"ram_gb":12,"touch_points":5,"timezone":"UTC","locale":"en-US"}""",
            "galaxy-s24-ultra", """
                    {"model":"SM-S928B","brand":"samsung","manufacturer":"samsung","android_version":"14","screen":[1440,3120],
                     "dpi":480,"cores":8,"ram_gb":12,"touch_points":5,"timezone":"UTC","locale":"en-US"}""");
    private static final List<String> NAMES = List.of("pixel-8", "pixel-8-pro", "galaxy-s24-ultra");

    private DeviceProfiles() {
    }

    /** The effective profile: defaults of the named device (or "random", or the default device) plus the overrides. */
    public static ObjectNode resolve(ObjectNode sanitized, String chromeMajor) {
        String asked = sanitized.path("device").asText(DEFAULT);
        String name = "random".equals(asked) ? NAMES.get(ThreadLocalRandom.current().nextInt(NAMES.size()))
                : DEVICES.containsKey(normalise(asked)) ? normalise(asked) : DEFAULT;
        ObjectNode out;
        try {
            out = (ObjectNode) MAPPER.readTree(DEVICES.get(name));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        out.put("device", name);
        out.put("chrome_version", chromeMajor);
        sanitized.fields().forEachRemaining(e -> {
            if (!"device".equals(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    private static String normalise(String name) {
        return name.trim().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
    }
}
