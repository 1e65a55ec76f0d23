package com.aimlib.sdk;

import com.aimlib.protocol.ErrorCode;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP side of the client: one JDK {@link HttpClient}, the bearer header, JSON both ways, the error
 * table ({@link Errors}) and the bounded retry. Retried, honouring {@code Retry-After}: a 503
 * {@code capacity_unavailable} (no host capacity, or a lost adoption race) and the rate limiter's 429. A 429
 * {@code capacity_unavailable} is a device or customer cap, which waiting does not lift: thrown at once.
 * Blocking calls only, no monitors held, so callers may run on virtual threads.
 */
final class Transport implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A raw answer. */
    record Answer(int status, String body, Optional<String> retryAfter) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient http;
    private final String base;
    private final String authorization;
    private final Duration timeout;
    private final int maxRetries;
    private final Duration maxRetryWait;

    Transport(String base, String apiKey, Duration timeout, int maxRetries, Duration maxRetryWait) {
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        this.base = base;
        this.authorization = "Bearer " + apiKey;
        this.timeout = timeout;
        this.maxRetries = maxRetries;
        this.maxRetryWait = maxRetryWait;
    }

    String base() {
        return base;
    }

    /** The per-request HTTP timeout. */
    Duration timeout() {
        return timeout;
    }

    String authorization() {
        return authorization;
    }

    /** A /v1 call whose error answers become exceptions; {@code type} null for an answer that is not read. */
    <T> T call(String method, String path, Object body, TypeReference<T> type) {
        Answer a = exchange(method, URI.create(base + path), authorization, body);
        if (!a.ok()) {
            throw Errors.from(MAPPER, a.status(), a.body(), a.retryAfter().flatMap(Transport::seconds).orElse(null));
        }
        if (type == null) {
            return null;
        }
        try {
            return MAPPER.readValue(a.body(), type);
        } catch (JsonProcessingException e) {
            throw new AimlibException(method + " " + path + ": unreadable answer (HTTP " + a.status() + ")", e);
        }
    }

    /** GETs {@code path} into the file {@code to} (a binary download); an error answer becomes an exception. */
    java.nio.file.Path download(String path, java.nio.file.Path to) {
        URI uri = URI.create(base + path);
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout.multipliedBy(10)).header("Authorization", authorization).GET().build();
        try {
            HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw Errors.from(MAPPER, r.statusCode(), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                }
                java.nio.file.Files.copy(in, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return to;
        } catch (IOException e) {
            throw new AimlibException("GET " + uri.getPath() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AimlibException("GET " + uri.getPath() + " interrupted", e);
        }
    }

    /** A call whose answer the caller reads itself (status and body); only the retryable answers are retried. */
    Answer exchange(String method, URI uri, String bearer, Object body) {
        for (int attempt = 0; ; attempt++) {
            Answer a = once(method, uri, bearer, body);
            if (attempt >= maxRetries || !retryable(a)) {
                return a;
            }
            sleep(delay(a, attempt));
        }
    }

    private boolean retryable(Answer a) {
        String code = a.status() == 429 || a.status() == 503 ? Errors.code(MAPPER, a.body()) : null;
        if (a.status() == 503) {
            return ErrorCode.CAPACITY_UNAVAILABLE.wire().equals(code);
        }
        // A device cap or a rotation interval does not lift by waiting a little: only the rate limiter's 429 is retried.
        return a.status() == 429 && !ErrorCode.CAPACITY_UNAVAILABLE.wire().equals(code) && !ErrorCode.ROTATION_TOO_SOON.wire().equals(code);
    }

    /** {@code Retry-After} seconds when given (capped), else 0.5 s doubling. */
    Duration delay(Answer a, int attempt) {
        Duration d = a.retryAfter().flatMap(Transport::seconds).orElse(Duration.ofMillis(500L << Math.min(attempt, 6)));
        return d.compareTo(maxRetryWait) > 0 ? maxRetryWait : d;
    }

    private static Optional<Duration> seconds(String retryAfter) {
        try {
            return Optional.of(Duration.ofMillis((long) (Double.parseDouble(retryAfter.trim()) * 1000)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Sends raw bytes ({@code POST /v1/extensions}); not retried. */
    <T> T upload(String path, byte[] body, String contentType, TypeReference<T> type) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).header("Accept", "application/json")
                .header("Authorization", authorization).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 400) {
                throw Errors.from(MAPPER, r.statusCode(), r.body());
            }
            return MAPPER.readValue(r.body(), type);
        } catch (IOException e) {
            throw new AimlibException("POST " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AimlibException("POST " + path + " interrupted", e);
        }
    }

    private Answer once(String method, URI uri, String bearer, Object body) {
        HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
        if (bearer != null) {
            b.header("Authorization", bearer);
        }
        if (body != null) {
            try {
                publisher = HttpRequest.BodyPublishers.ofByteArray(MAPPER.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new AimlibException("cannot encode the request body of " + method + " " + uri.getPath(), e);
            }
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Retry-After"));
        } catch (IOException e) {
            throw new AimlibException(method + " " + uri.getPath() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AimlibException(method + " " + uri.getPath() + " interrupted", e);
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AimlibException("interrupted while waiting", e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
