package com.aimlib.gateway.api;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Request;
import com.aimlib.gateway.http.Uuids;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Typed access to the fields of a JSON request body. Every violation (missing, wrong type, empty,
 * too long, out of range) is a 400 {@code {"error":"bad_request","message":"<field> ..."}}.
 */
public final class BodyFields {
    private final JsonNode node;

    private BodyFields(JsonNode node) {
        this.node = node;
    }

    /** The request body as fields; invalid JSON or a non-object is the 400 {@code invalid_json}. */
    public static BodyFields of(Request request) {
        return new BodyFields(request.jsonObject());
    }

    private JsonNode present(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** True when the body sets {@code name} to JSON {@code null} (which PATCH reads as "clear"), not when it is absent. */
    public boolean explicitNull(String name) {
        JsonNode v = node.get(name);
        return v != null && v.isNull();
    }

    public String requiredString(String name, int maxLength) {
        String v = optionalString(name, maxLength);
        if (v == null) {
            throw ApiException.badRequest(name + " is required");
        }
        return v;
    }

    /** A non-blank string of at most {@code maxLength} characters, or null when absent. */
    public String optionalString(String name, int maxLength) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(name + " must be a string");
        }
        String s = v.textValue();
        if (s.isBlank()) {
            throw ApiException.badRequest(name + " must not be empty");
        }
        if (s.codePoints().anyMatch(cp -> Character.getType(cp) == Character.SURROGATE)) {
            // An escaped lone surrogate ("\ud800") parses, but is no character and cannot be stored as text.
            throw ApiException.badRequest(name + " must be valid Unicode text");
        }
        if (s.length() > maxLength) {
            throw ApiException.badRequest(name + " must be at most " + maxLength + " characters");
        }
        return s;
    }

    public String optionalEnum(String name, Set<String> allowed) {
        String v = optionalString(name, 64);
        if (v != null && !allowed.contains(v)) {
            throw ApiException.badRequest(name + " must be one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return v;
    }

    /** true or false, or null when absent; "true" and 1 are refused. */
    public Boolean optionalBoolean(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(name + " must be true or false");
        }
        return v.booleanValue();
    }

    public Integer optionalInt(String name, int min, int max) {
        Long v = optionalLong(name, min, max);
        return v == null ? null : v.intValue();
    }

    /** An integer in [min, max], or null when absent; 1.5, "3" and true are refused. */
    public Long optionalLong(String name, long min, long max) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest(name + " must be an integer");
        }
        long n = v.longValue();
        if (n < min || n > max) {
            throw ApiException.badRequest(name + " must be between " + min + " and " + max);
        }
        return n;
    }

    public UUID requiredUuid(String name) {
        UUID v = optionalUuid(name);
        if (v == null) {
            throw ApiException.badRequest(name + " is required");
        }
        return v;
    }

    public UUID optionalUuid(String name) {
        String v = optionalString(name, 36);
        if (v == null) {
            return null;
        }
        UUID id = Uuids.parseOrNull(v);
        if (id == null) {
            throw ApiException.badRequest(name + " must be a UUID");
        }
        return id;
    }

    /** An ISO-8601 instant such as {@code 2026-12-31T23:59:59Z}, or null when absent. */
    public Instant optionalInstant(String name) {
        String v = optionalString(name, 64);
        if (v == null) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 timestamp such as 2026-12-31T23:59:59Z");
        }
    }

    /** An array of distinct strings, each from {@code allowed}, or null when absent. */
    public Set<String> optionalStringSet(String name, Set<String> allowed) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw ApiException.badRequest(name + " must be an array of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || !allowed.contains(e.textValue())) {
                throw ApiException.badRequest(name + " may contain only " + String.join(", ", allowed.stream().sorted().toList()));
            }
            out.add(e.textValue());
        }
        return out;
    }
}
