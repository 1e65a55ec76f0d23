package com.aimlib.sdk;

import java.time.Duration;
import java.util.Objects;

/**
 * The aimlib client: your leased devices ({@link #devices()}), their raw proxies and managed browsers, and
 * support tickets ({@link #tickets()}). Built from the environment ({@link #fromEnvironment()}: {@code
 * AIMLIB_API_KEY}, {@code AIMLIB_BASE_URL}) or a {@link #builder()}; close it (try-with-resources) to
 * release its HTTP client. Thread-safe.
 *
 * <pre>{@code
 * try (Aimlib ai = Aimlib.fromEnvironment()) {
 *     Device device = ai.devices().list().get(0);
 *     System.out.println(device.proxy().url());
 * }
 * }</pre>
 */
public final class Aimlib implements AutoCloseable {
    /** The documented default gateway. */
    public static final String DEFAULT_BASE_URL = "https://uswest1.aimlib.com";

    private final Transport transport;
    private final Devices devices;
    private final Tickets tickets;
    private final Profiles profiles;
    private final Sessions sessions;
    private final Operations operations;
    private final Contexts contexts;
    private final Extensions extensions;

    private Aimlib(Transport transport) {
        this.transport = transport;
        this.devices = new Devices(transport);
        this.tickets = new Tickets(transport);
        this.profiles = new Profiles(transport);
        this.sessions = new Sessions(transport);
        this.operations = new Operations(transport);
        this.contexts = new Contexts(transport);
        this.extensions = new Extensions(transport);
    }

    /** A client from {@code AIMLIB_API_KEY} (required) and {@code AIMLIB_BASE_URL} (optional). */
    public static Aimlib fromEnvironment() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A session's recording by the session's id, also after the session ended (an extension). */
    public SessionRecording recording(String sessionId) {
        return new SessionRecording(transport, sessionId);
    }

    /** The devices the caller holds an active lease on. */
    public Devices devices() {
        return devices;
    }

    /** Shorthand for {@code devices().get(id)}: a leased device, or {@link AimlibException} when it is not leased. */
    public Device device(String id) {
        return devices.get(id);
    }

    /** Device operations (IP rotations): {@code get} and {@code await}. */
    public Operations operations() {
        return operations;
    }

    /** Support tickets. */
    public Tickets tickets() {
        return tickets;
    }

    /** The device catalogue: the names and main traits a browser session's profile can ask for. */
    /** Saved logins (issue 14). */
    public Contexts contexts() {
        return contexts;
    }

    /** Uploaded Chrome extensions (issue 14). */
    public Extensions extensions() {
        return extensions;
    }

    public Profiles profiles() {
        return profiles;
    }

    /** Your browser sessions across devices, live and recently ended (an extension of the documented API). */
    public Sessions sessions() {
        return sessions;
    }

    /** The gateway this client talks to. */
    public String baseUrl() {
        return transport.base();
    }

    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        return "Aimlib[baseUrl=" + transport.base() + "]";
    }

    /** Settings of a client; anything left unset falls back to the environment, then to the documented default. */
    public static final class Builder {
        private String apiKey;
        private String baseUrl;
        private Duration timeout = Duration.ofSeconds(60);
        private int maxRetries = 3;
        private Duration maxRetryWait = Duration.ofSeconds(30);

        private Builder() {
        }

        /** The customer API key ({@code ak_live_…}); default {@code AIMLIB_API_KEY}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** The regional gateway; default {@code AIMLIB_BASE_URL}, else {@value Aimlib#DEFAULT_BASE_URL}. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The timeout of one HTTP request (default 60 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** How often a retryable answer (503 capacity, rate limit) is retried (default 3; 0 disables retries). */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0");
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /** The longest single wait between retries, whatever {@code Retry-After} asks for (default 30 s). */
        public Builder maxRetryWait(Duration maxRetryWait) {
            this.maxRetryWait = Objects.requireNonNull(maxRetryWait);
            return this;
        }

        /** The client; {@link AimlibException} when there is no API key. */
        public Aimlib build() {
            String key = firstNonBlank(apiKey, System.getenv("AIMLIB_API_KEY"));
            if (key == null) {
                throw new AimlibException("no API key: pass Aimlib.builder().apiKey(...) or set AIMLIB_API_KEY");
            }
            String base = firstNonBlank(baseUrl, System.getenv("AIMLIB_BASE_URL"));
            base = base == null ? DEFAULT_BASE_URL : base.strip();
            while (base.endsWith("/")) {
                base = base.substring(0, base.length() - 1);
            }
            return new Aimlib(new Transport(base, key.strip(), timeout, maxRetries, maxRetryWait));
        }

        private static String firstNonBlank(String a, String b) {
            if (a != null && !a.isBlank()) {
                return a;
            }
            return b != null && !b.isBlank() ? b : null;
        }
    }
}
