package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A small client of {@code /admin/v1}: every failure becomes an {@link AdminException} with a one-line reason. */
final class AdminClient {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String key;

    /** A failure the CLI reports in one line and answers with exit code 1. */
    static final class AdminException extends RuntimeException {
        AdminException(String message) {
            super(message, null, false, false);
        }
    }

    AdminClient(String baseUrl, String key) {
        if (key == null || key.isBlank()) {
            throw new AdminException("no operator key: pass --key or set AIMLIB_OPERATOR_KEY");
        }
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.key = key.trim();
    }

    JsonNode get(String path, Map<String, String> query) {
        StringBuilder q = new StringBuilder();
        query.forEach((k, v) -> {
            if (v != null) {
                q.append(q.isEmpty() ? '?' : '&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        return send("GET", path + q, null);
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, Map<String, Object> body) {
        return send("POST", path, body);
    }

    JsonNode patch(String path, Map<String, Object> body) {
        return send("PATCH", path, body);
    }

    /** A body without the options the user left out. */
    static Map<String, Object> body(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                m.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return m;
    }

    private JsonNode send(String method, String path, Map<String, Object> body) {
        URI uri;
        try {
            uri = URI.create(baseUrl + "/admin/v1" + path);
        } catch (IllegalArgumentException e) {
            throw new AdminException("bad URL " + baseUrl + ": " + e.getMessage());
        }
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new AdminException(e.getMessage());
        }
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).method(method, publisher)
                    .header("Authorization", "Bearer " + key).header("Accept", "application/json");
        } catch (IllegalArgumentException e) {
            throw new AdminException("bad URL or key: " + e.getMessage());
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new AdminException("cannot reach " + baseUrl + " (connection refused): is the gateway running?");
        } catch (HttpTimeoutException e) {
            throw new AdminException("no answer from " + baseUrl + " in time");
        } catch (IOException e) {
            throw new AdminException("cannot talk to " + baseUrl + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("interrupted");
        }
        JsonNode json;
        try {
            json = r.body().isEmpty() ? MAPPER.nullNode() : MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new AdminException("HTTP " + r.statusCode() + " with a body that is not JSON");
        }
        if (r.statusCode() >= 400) {
            String error = json.path("error").asText("error");
            String message = json.path("message").asText("");
            throw new AdminException("HTTP " + r.statusCode() + " " + error + (message.isEmpty() ? "" : ": " + message));
        }
        return json;
    }
}
