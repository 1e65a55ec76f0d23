package com.aimlib.gateway.recordings;

import com.aimlib.gateway.http.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** The {@code recording} field of a create request: which files the session records. */
public record RecordingSpec(boolean har, boolean screenshots, boolean video) {
    private static final Set<String> KEYS = Set.of("har", "screenshots", "video");

    public boolean any() {
        return har || screenshots || video;
    }

    /**
     * Null when absent, null or all false; an object of booleans otherwise, or 400 {@code bad_request}. Unknown keys are
     * refused (a typo such as {@code "vidoe"} must not silently record nothing).
     */
    public static RecordingSpec parse(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw ApiException.badRequest("recording must be an object like {\"har\": true, \"screenshots\": false, \"video\": true}");
        }
        var names = v.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!KEYS.contains(n)) {
                throw ApiException.badRequest("recording." + n + " is not one of har, screenshots, video");
            }
            JsonNode b = v.get(n);
            if (!b.isBoolean() && !b.isNull()) {
                throw ApiException.badRequest("recording." + n + " must be a boolean");
            }
        }
        RecordingSpec s = new RecordingSpec(v.path("har").asBoolean(false), v.path("screenshots").asBoolean(false),
                v.path("video").asBoolean(false));
        return s.any() ? s : null;
    }
}
