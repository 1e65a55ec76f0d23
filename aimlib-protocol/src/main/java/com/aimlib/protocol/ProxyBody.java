package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.UUID;

/**
 * The {@code proxy} of a {@link DeviceBody}. {@code url} carries the proxy password, so
 * {@link #toString()} masks it.
 */
@JsonPropertyOrder({"id", "protocol", "url", "status"})
public record ProxyBody(
        @JsonProperty("id") UUID id,
        @JsonProperty("protocol") String protocol,
        @JsonProperty("url") String url,
        @JsonProperty("status") String status) {

    @Override
    public String toString() {
        return "ProxyBody[id=" + id + ", protocol=" + protocol + ", url=" + maskUrl(url) + ", status=" + status + "]";
    }

    /** The URL with its password replaced by {@code ***}: {@code scheme://user:***@host:port}. */
    public static String maskUrl(String url) {
        if (url == null) {
            return null;
        }
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return url;
        }
        int colon = url.indexOf(':', scheme + 3);
        if (colon < 0 || colon > at) {
            return url.substring(0, scheme + 3) + "***" + url.substring(at);
        }
        return url.substring(0, colon + 1) + "***" + url.substring(at);
    }
}
