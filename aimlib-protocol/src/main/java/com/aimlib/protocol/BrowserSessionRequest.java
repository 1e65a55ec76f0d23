package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * The body of {@code POST /v1/devices/{id}/browser}; every field optional (left out when null), times in
 * whole seconds, the profile a JSON object of allow-listed spoof keys, {@code start_url} (an extension) the page the
 * first tab opens.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"ttl", "idle_timeout", "sticky", "profile", "start_url", "context_id", "extensions", "recording"})
public record BrowserSessionRequest(
        @JsonProperty("ttl") Long ttl,
        @JsonProperty("idle_timeout") Long idleTimeout,
        @JsonProperty("sticky") Boolean sticky,
        @JsonProperty("profile") Map<String, Object> profile,
        @JsonProperty("start_url") String startUrl,
        @JsonProperty("context_id") String contextId,
        @JsonProperty("extensions") java.util.List<String> extensions,
        @JsonProperty("recording") RecordingOptions recording) {

    /** The documented fields only. */
    public BrowserSessionRequest(Long ttl, Long idleTimeout, Boolean sticky, Map<String, Object> profile) {
        this(ttl, idleTimeout, sticky, profile, null, null, null, null);
    }

    /** With {@code start_url} (issue 14). */
    public BrowserSessionRequest(Long ttl, Long idleTimeout, Boolean sticky, Map<String, Object> profile, String startUrl) {
        this(ttl, idleTimeout, sticky, profile, startUrl, null, null, null);
    }

    /** With a saved context and extensions (issue 14). */
    public BrowserSessionRequest(Long ttl, Long idleTimeout, Boolean sticky, Map<String, Object> profile, String startUrl,
                                 String contextId, java.util.List<String> extensions) {
        this(ttl, idleTimeout, sticky, profile, startUrl, contextId, extensions, null);
    }

    /** With a recording (issue 14). */
    public BrowserSessionRequest(Long ttl, Long idleTimeout, Boolean sticky, Map<String, Object> profile, String startUrl,
                                 RecordingOptions recording) {
        this(ttl, idleTimeout, sticky, profile, startUrl, null, null, recording);
    }
}
