package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.UUID;

/**
 * The {@code proxy} of a {@link DeviceBody}. The documented {@code id}, {@code protocol}, {@code url} and
 * {@code status}, then two extensions: {@code http_url} and {@code socks5h_url}, the same credentials on the
 * gateway's unified proxy port, which tells HTTP from SOCKS5 by the first byte (so a client without SOCKS
 * support, such as httpx without its socks extra, uses {@code http_url}). The URLs carry the proxy password,
 * so {@link #toString()} masks them.
 */
@JsonPropertyOrder({"id", "protocol", "url", "status", "http_url", "socks5h_url"})
public record ProxyBody(
        @JsonProperty("id") UUID id,
        @JsonProperty("protocol") String protocol,
        @JsonProperty("url") String url,
        @JsonProperty("status") String status,
        @JsonProperty("http_url") @JsonInclude(JsonInclude.Include.NON_NULL) String httpUrl,
        @JsonProperty("socks5h_url") @JsonInclude(JsonInclude.Include.NON_NULL) String socks5hUrl) {

    /** The documented fields only. */
    public ProxyBody(UUID id, String protocol, String url, String status) {
        this(id, protocol, url, status, null, null);
    }

    @Override
    public String toString() {
        return "ProxyBody[id=" + id + ", protocol=" + protocol + ", url=" + maskUrl(url) + ", status=" + status
                + ", http_url=" + maskUrl(httpUrl) + ", socks5h_url=" + maskUrl(socks5hUrl) + "]";
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
