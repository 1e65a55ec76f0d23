package com.aimlib.protocol.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates a customer's allow-listed profile keys and normalises their values (a locale to its canonical tag, an
 * Android or Chrome version to its major, a battery percentage to a level). A value of the wrong type or an
 * impossible one is a {@link ProfileInvalidException} naming the key: nothing is silently replaced.
 */
public final class ProfileOverrides {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern BCP47 = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?");
    private static final Pattern VERSION = Pattern.compile("(\\d{1,4})(\\.\\d{1,6}){0,3}");
    /** Printable ASCII without the quote and backslash, so a value is safe in a structured header. */
    private static final Pattern HEADER_SAFE = Pattern.compile("[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    private static final Set<String> BOOLEANS = Set.of("webrtc_block", "ipv6_block", "dns_leak_block", "tls_randomize",
            "audio_48khz");

    private ProfileOverrides() {
    }

    /** The validated, normalised copy of a sanitized profile (only allow-listed keys, already bounded in size). */
    public static ObjectNode validate(ObjectNode profile, DeviceCatalogue catalogue) {
        ObjectNode out = F.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = profile.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (v == null || v.isNull()) {
                continue;
            }
            out.set(k, switch (k) {
                case "device" -> device(v, catalogue);
                case "timezone" -> timezone(v);
                case "locale" -> locale(v);
                case "cores" -> F.numberNode(integer(k, v, 1, 64));
                case "ram_gb" -> F.numberNode(integer(k, v, 1, 64));
                case "dpi" -> F.numberNode(integer(k, v, 100, 1000));
                case "touch_points" -> F.numberNode(integer(k, v, 1, 10));
                case "storage_quota" -> F.numberNode(longValue(k, v, 1_000_000L, 10_000_000_000_000L));
                case "screen" -> screen(v);
                case "model", "brand", "manufacturer", "build_fingerprint" -> F.textNode(text(k, v));
                case "security_patch" -> securityPatch(v);
                case "android_version" -> F.textNode(String.valueOf(major(k, v, 8, 16)));
                case "chrome_version" -> F.textNode(String.valueOf(major(k, v, 1, 9999)));
                case "webgl" -> webgl(v);
                case "fonts" -> fonts(v);
                case "battery" -> battery(v);
                default -> {
                    if (!BOOLEANS.contains(k)) {
                        throw new ProfileInvalidException(k, "not a profile key");
                    }
                    if (!v.isBoolean()) {
                        throw new ProfileInvalidException(k, "must be true or false");
                    }
                    yield v;
                }
            });
        }
        return out;
    }

    private static JsonNode device(JsonNode v, DeviceCatalogue catalogue) {
        if (!v.isTextual()) {
            throw new ProfileInvalidException("device", "must be a catalogue name or alias (GET /v1/profiles)");
        }
        String name = v.asText();
        if (DeviceCatalogue.key(name).equals(DeviceCatalogue.RANDOM)) {
            return F.textNode(DeviceCatalogue.RANDOM);
        }
        return F.textNode(catalogue.find(name).orElseThrow(() -> new ProfileInvalidException("device",
                "\"" + clip(name) + "\" matches no catalogue name or alias (GET /v1/profiles lists them)")).name());
    }

    /** tzdata's "backward" links customers use, to the canonical name Chrome's Intl reports for them. */
    private static final Map<String, String> ZONE_LINKS = Map.ofEntries(Map.entry("US/Pacific", "America/Los_Angeles"),
            Map.entry("US/Eastern", "America/New_York"), Map.entry("US/Central", "America/Chicago"),
            Map.entry("US/Mountain", "America/Denver"), Map.entry("US/Arizona", "America/Phoenix"),
            Map.entry("US/Alaska", "America/Anchorage"), Map.entry("US/Hawaii", "Pacific/Honolulu"),
            Map.entry("Canada/Eastern", "America/Toronto"), Map.entry("Canada/Pacific", "America/Vancouver"),
            Map.entry("GB", "Europe/London"), Map.entry("Europe/Kiev", "Europe/Kyiv"),
            Map.entry("Asia/Calcutta", "Asia/Kolkata"), Map.entry("Asia/Saigon", "Asia/Ho_Chi_Minh"));

    private static JsonNode timezone(JsonNode v) {
        if (!v.isTextual() || !ZoneId.getAvailableZoneIds().contains(v.asText())) {
            throw new ProfileInvalidException("timezone", "must be an IANA time zone such as \"Europe/Berlin\"");
        }
        return F.textNode(ZONE_LINKS.getOrDefault(v.asText(), v.asText()));
    }

    private static JsonNode locale(JsonNode v) {
        if (!v.isTextual() || !BCP47.matcher(v.asText().replace('_', '-')).matches()) {
            throw new ProfileInvalidException("locale", "must be a BCP 47 language tag such as \"de-DE\"");
        }
        return F.textNode(Locale.forLanguageTag(v.asText().replace('_', '-')).toLanguageTag());
    }

    /** The canonical form of an IANA time zone, or a {@link ProfileInvalidException} for {@code timezone}. */
    public static String validTimezone(String zone) {
        return timezone(F.textNode(zone)).asText();
    }

    /** The canonical form of a BCP 47 tag ("de_de" → "de-DE"), or a {@link ProfileInvalidException} for {@code locale}. */
    public static String validLocale(String tag) {
        return locale(F.textNode(tag)).asText();
    }

    private static long longValue(String k, JsonNode v, long min, long max) {
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
            throw new ProfileInvalidException(k, "must be an integer");
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw new ProfileInvalidException(k, "must be between " + min + " and " + max);
        }
        return n;
    }

    private static int integer(String k, JsonNode v, int min, int max) {
        return (int) longValue(k, v, min, max);
    }

    private static JsonNode screen(JsonNode v) {
        if (!v.isArray() || v.size() != 2) {
            throw new ProfileInvalidException("screen", "must be [width, height] in physical pixels");
        }
        int w = integer("screen", v.get(0), 240, 8192);
        int h = integer("screen", v.get(1), 240, 8192);
        if (w > h) {
            throw new ProfileInvalidException("screen", "must be portrait [width, height] with width <= height");
        }
        return F.arrayNode().add(w).add(h);
    }

    private static String text(String k, JsonNode v) {
        if (!v.isTextual() || !HEADER_SAFE.matcher(v.asText()).matches()) {
            throw new ProfileInvalidException(k, "must be 1 to 128 printable ASCII characters without \" or \\");
        }
        return v.asText();
    }

    private static JsonNode securityPatch(JsonNode v) {
        try {
            if (v.isTextual()) {
                return F.textNode(LocalDate.parse(v.asText()).toString());
            }
        } catch (DateTimeParseException ignored) {
            // falls through to the error below
        }
        throw new ProfileInvalidException("security_patch", "must be a date YYYY-MM-DD");
    }

    /** A version number or string ("14", 14, "126.0.6478.126") reduced to its major. */
    private static int major(String k, JsonNode v, int min, int max) {
        String s = v.isIntegralNumber() ? v.asText() : v.isTextual() ? v.asText().trim() : "";
        if (!VERSION.matcher(s).matches()) {
            throw new ProfileInvalidException(k, "must be a version number such as \"" + (max > 100 ? "126" : "14") + "\"");
        }
        int major = Integer.parseInt(s.split("\\.")[0]);
        if (major < min || major > max) {
            throw new ProfileInvalidException(k, "must be between " + min + " and " + max);
        }
        return major;
    }

    private static JsonNode webgl(JsonNode v) {
        if (v.isBoolean() && v.asBoolean()) {
            return v;
        }
        if (!v.isObject()) {
            throw new ProfileInvalidException("webgl", "must be true (the device's own) or {\"vendor\", \"renderer\"}");
        }
        ObjectNode out = F.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("vendor") && !e.getKey().equals("renderer")) {
                throw new ProfileInvalidException("webgl", "only vendor and renderer can be set, not " + clip(e.getKey()));
            }
            out.put(e.getKey(), text("webgl", e.getValue()));
        }
        return out;
    }

    private static JsonNode fonts(JsonNode v) {
        if (!v.isArray() || v.isEmpty() || v.size() > 200) {
            throw new ProfileInvalidException("fonts", "must be a list of 1 to 200 font family names");
        }
        ArrayNode out = F.arrayNode();
        v.forEach(f -> out.add(text("fonts", f)));
        return out;
    }

    /** A level 0..1, a percentage 0..100 (a value above 1), or {"level", "charging"}. */
    private static JsonNode battery(JsonNode v) {
        JsonNode level = v.isObject() ? v.get("level") : v;
        JsonNode charging = v.isObject() ? v.get("charging") : null;
        if (level == null || !level.isNumber() || level.asDouble() < 0 || level.asDouble() > 100) {
            throw new ProfileInvalidException("battery", "must be a level 0..1, a percentage 0..100 or {\"level\", \"charging\"}");
        }
        if (charging != null && !charging.isBoolean()) {
            throw new ProfileInvalidException("battery", "charging must be true or false");
        }
        double l = level.asDouble() > 1 ? level.asDouble() / 100 : level.asDouble();
        return F.objectNode().put("level", Math.round(l * 100) / 100.0).put("charging", charging != null && charging.asBoolean());
    }

    private static String clip(String s) {
        String t = s.replaceAll("[^\\x20-\\x7E]", "?");
        return t.length() > 40 ? t.substring(0, 40) + "…" : t;
    }
}
