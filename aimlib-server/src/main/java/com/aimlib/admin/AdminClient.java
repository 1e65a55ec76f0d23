package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
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

/**
 * A small client of {@code /admin/v1}: every failure becomes an {@link AdminException} with a one-line reason.
 * GET and POST go through {@link HttpURLConnection}: {@link HttpClient} sets up TLS even for a plain-HTTP call,
 * a third of a CLI call's start-up; only PATCH, which HttpURLConnection refuses, takes it.
 */
final class AdminClient {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 30_000;
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

    JsonNode delete(String path) {
        return send("DELETE", path, null);
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
        byte[] bytes;
        try {
            bytes = body == null ? null : MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new AdminException(e.getMessage());
        }
        Answer r = method.equals("PATCH") ? sendWithHttpClient(uri, method, bytes) : sendWithUrlConnection(uri, method, bytes);
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

    private record Answer(int statusCode, String body) {
    }

    private Answer sendWithUrlConnection(URI uri, String method, byte[] body) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
            c.setRequestMethod(method);
            c.setRequestProperty("Authorization", "Bearer " + key);
            c.setRequestProperty("Accept", "application/json");
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(body.length);
                try (var out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            var in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            c.disconnect();
            return new Answer(status, text);
        } catch (ConnectException e) {
            throw new AdminException("cannot reach " + baseUrl + " (connection refused): is the gateway running?");
        } catch (SocketTimeoutException e) {
            throw new AdminException("no answer from " + baseUrl + " in time");
        } catch (IllegalArgumentException e) {
            throw new AdminException("bad URL " + baseUrl + ": " + e.getMessage());
        } catch (IOException e) {
            throw new AdminException("cannot talk to " + baseUrl + ": " + e);
        }
    }

    private Answer sendWithHttpClient(URI uri, String method, byte[] body) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS)).build();
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(READ_TIMEOUT_MS)).method(method, publisher)
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
        return new Answer(r.statusCode(), r.body());
    }
}
