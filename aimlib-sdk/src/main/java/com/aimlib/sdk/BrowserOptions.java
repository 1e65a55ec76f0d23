package com.aimlib.sdk;

import com.aimlib.protocol.BrowserSessionRequest;
import com.aimlib.protocol.RecordingOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Device#browser(BrowserOptions)} asks for; everything optional, anything unset is left to the
 * server's defaults (TTL 30 min, idle timeout 120 s, an empty profile).
 *
 * <pre>{@code
 * device.browser(BrowserOptions.builder().profile("pixel-8-pro").ttl("10m").idleTimeout(Duration.ofMinutes(5)).build());
 * }</pre>
 */
public final class BrowserOptions {
    private static final BrowserOptions DEFAULTS = builder().build();
    private final BrowserSessionRequest request;

    private final boolean persist;
    private final String contextName;

    private BrowserOptions(BrowserSessionRequest request, boolean persist, String contextName) {
        this.persist = persist;
        this.contextName = contextName;
        this.request = request;
    }

    /** Nothing set: the server's defaults. */
    public static BrowserOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether stopping the session saves its state (issue 14). */
    public boolean persist() {
        return persist;
    }

    public String contextName() {
        return contextName;
    }

    /** The request body these options send. */
    public BrowserSessionRequest request() {
        return request;
    }

    @Override
    public String toString() {
        return "BrowserOptions" + request;
    }

    /** Collects {@link BrowserOptions}. */
    public static final class Builder {
        private Long ttl;
        private Long idleTimeout;
        private Boolean sticky;
        private Map<String, Object> profile;
        private String startUrl;
        private String contextId;
        private java.util.List<String> extensions;
        private boolean persist;
        private String contextName;
        private RecordingOptions recording;

        private Builder() {
        }

        /** A standardised device name, sent as {@code {"device": name}}. */
        public Builder profile(String device) {
            this.profile = device == null ? null : Map.of("device", device);
            return this;
        }

        /** The typed profile fields. */
        public Builder profile(Profile profile) {
            this.profile = profile == null ? null : profile.toMap();
            return this;
        }

        /** A raw profile object, passed through as-is (the server drops keys not on its allow-list). */
        public Builder profile(Map<String, ?> profile) {
            this.profile = profile == null ? null : new LinkedHashMap<>(profile);
            return this;
        }

        /** The session's lifetime (the server clamps it to 30 minutes and to the lease end). */
        public Builder ttl(Duration ttl) {
            this.ttl = ttl == null ? null : Durations.seconds(ttl);
            return this;
        }

        /** The session's lifetime in seconds. */
        public Builder ttl(long seconds) {
            this.ttl = seconds;
            return this;
        }

        /** The session's lifetime as {@code "30s"}, {@code "10m"}, {@code "1h"} or a number of seconds. */
        public Builder ttl(String ttl) {
            this.ttl = ttl == null ? null : Durations.seconds(ttl);
            return this;
        }

        /** Release the session after this much inactivity. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout == null ? null : Durations.seconds(idleTimeout);
            return this;
        }

        /** The idle timeout in seconds. */
        public Builder idleTimeout(long seconds) {
            this.idleTimeout = seconds;
            return this;
        }

        /** The idle timeout as {@code "30s"}, {@code "10m"}, {@code "1h"} or a number of seconds. */
        public Builder idleTimeout(String idleTimeout) {
            this.idleTimeout = idleTimeout == null ? null : Durations.seconds(idleTimeout);
            return this;
        }

        /** Request a sticky session (accepted by the server, not acted on yet). */
        public Builder sticky(boolean sticky) {
            this.sticky = sticky;
            return this;
        }

        /**
         * The page the first tab opens as soon as the browser is up (an extension of the documented API): an http(s) URL
         * or a bare domain ({@code "example.com"} becomes {@code https://example.com}). The server refuses other schemes
         * with a 400.
         */
        public Builder startUrl(String startUrl) {
            this.startUrl = startUrl;
            return this;
        }

        /** Start from a saved context: its cookies, storage and resolved profile (do not set a profile too). */
        public Builder contextId(String contextId) {
            this.contextId = contextId;
            return this;
        }

        /** Load these uploaded extensions (ids from {@link Extensions#upload}) in this session only. */
        public Builder extensions(java.util.List<String> extensionIds) {
            this.extensions = java.util.List.copyOf(extensionIds);
            return this;
        }

        /** Save the session's state when it stops (into the context it started from, else a new one named {@code contextName}). */
        public Builder persist(boolean persist) {
            this.persist = persist;
            return this;
        }

        public Builder contextName(String contextName) {
            this.contextName = contextName;
            return this;
        }

        /** Records the session (an extension): a HAR, screenshots at each load and at stop, an MP4 video. */
        public Builder recording(boolean har, boolean screenshots, boolean video) {
            this.recording = har || screenshots || video ? new RecordingOptions(har, screenshots, video) : null;
            return this;
        }

        public BrowserOptions build() {
            return new BrowserOptions(new BrowserSessionRequest(ttl, idleTimeout, sticky, profile, startUrl, contextId,
                    extensions == null || extensions.isEmpty() ? null : extensions, recording), persist, contextName);
        }
    }
}
