package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The 200 answer of {@code GET /v1/sessions/{id}/pages} (issue 14): the session's open tabs with signed links that
 * all expire at {@code links_expire_at}.
 */
@JsonPropertyOrder({"session_id", "links_expire_at", "pages"})
public record SessionPagesBody(
        @JsonProperty("session_id") UUID sessionId,
        @JsonProperty("links_expire_at") Instant linksExpireAt,
        @JsonProperty("pages") List<Page> pages) {

    /**
     * One tab: {@code live_view_url} (read-only) for every key; {@code interactive_live_view_url}, {@code inspector_url}
     * (a {@code devtools://} URL for Chrome's own DevTools) and {@code inspector_ws_url} only for a key with
     * sessions.write, else null.
     */
    @JsonPropertyOrder({"id", "url", "title", "live_view_url", "interactive_live_view_url", "inspector_url", "inspector_ws_url"})
    public record Page(
            @JsonProperty("id") String id,
            @JsonProperty("url") String url,
            @JsonProperty("title") String title,
            @JsonProperty("live_view_url") String liveViewUrl,
            @JsonProperty("interactive_live_view_url") String interactiveLiveViewUrl,
            @JsonProperty("inspector_url") String inspectorUrl,
            @JsonProperty("inspector_ws_url") String inspectorWsUrl) {
    }
}
