package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.protocol.identity.ProfileInvalidException;
import com.aimlib.protocol.identity.ProfileOverrides;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The server-side profile check: a JSON object of at most 4 KiB, only allow-listed keys kept, each value
 * validated ({@link ProfileOverrides}); anything else is 400 {@code profile_invalid} naming the key.
 */
public final class Profiles {
    public static final int MAX_BYTES = 4096;
    public static final Set<String> ALLOWED = Set.of("device", "timezone", "locale", "cores", "ram_gb", "screen", "dpi",
            "model", "brand", "manufacturer", "android_version", "build_fingerprint", "security_patch", "webgl",
            "touch_points", "chrome_version", "tls_randomize", "webrtc_block", "ipv6_block", "dns_leak_block", "fonts",
            "battery", "audio_48khz", "storage_quota");

    private Profiles() {
    }

    /** The sanitized copy of {@code profile} (absent or null is {}), or 400 {@code profile_invalid}. */
    public static ObjectNode sanitize(JsonNode profile) {
        if (profile == null || profile.isNull() || profile.isMissingNode()) {
            return Json.MAPPER.createObjectNode();
        }
        if (!profile.isObject()) {
            throw invalid("profile must be a JSON object");
        }
        byte[] text;
        try {
            text = Json.MAPPER.writeValueAsBytes(profile);
        } catch (JsonProcessingException e) {
            throw invalid("profile must be a JSON object");
        }
        if (text.length > MAX_BYTES) {
            throw invalid("profile exceeds 4 KiB");
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = profile.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (ALLOWED.contains(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** The sanitized profile with every value validated and normalised, or 400 {@code profile_invalid}. */
    public static ObjectNode validate(JsonNode profile) {
        try {
            return ProfileOverrides.validate(sanitize(profile), DeviceCatalogue.bundled());
        } catch (ProfileInvalidException e) {
            throw invalid(e.getMessage());
        }
    }

    static ApiException invalid(String message) {
        return new ApiException(400, ErrorCode.PROFILE_INVALID, message);
    }

}
