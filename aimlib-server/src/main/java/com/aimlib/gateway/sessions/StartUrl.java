package com.aimlib.gateway.sessions;

import com.aimlib.gateway.http.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The optional {@code start_url} of a create (issue 14): the page the session's first tab opens once the browser is up
 * and its identity applied. Only {@code http} and {@code https}; a bare domain ({@code example.com},
 * {@code localhost:8080/x}) gets {@code https://}. Anything else is 400 {@code bad_request} naming the field, before
 * anything is stored.
 */
public final class StartUrl {
    static final int MAX_LENGTH = 2048;
    private static final Pattern WITH_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*", Pattern.DOTALL);
    /** {@code mailto:x}, {@code javascript:…}, {@code about:blank}: a scheme without {@code //}; {@code host:8080} is a port. */
    private static final Pattern OPAQUE_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:(?![0-9]).*", Pattern.DOTALL);

    private StartUrl() {
    }

    /** The normalised URL, or null when the field is absent or null. */
    public static String parse(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("start_url must be a string");
        }
        return normalise(v.asText());
    }

    static String normalise(String raw) {
        String s = raw.strip();
        if (s.isEmpty()) {
            throw ApiException.badRequest("start_url must not be empty");
        }
        if (s.length() > MAX_LENGTH) {
            throw ApiException.badRequest("start_url must be at most " + MAX_LENGTH + " characters");
        }
        if (!WITH_SCHEME.matcher(s).matches()) {
            if (OPAQUE_SCHEME.matcher(s).matches()) {
                throw notWeb();
            }
            s = "https://" + s;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                throw ApiException.badRequest("start_url must not contain spaces or control characters");
            }
        }
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw ApiException.badRequest("start_url is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw notWeb();
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw ApiException.badRequest("start_url must name a host");
        }
        return s;
    }

    private static ApiException notWeb() {
        return ApiException.badRequest("start_url must be an http or https URL");
    }
}
