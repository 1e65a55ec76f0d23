package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/**
 * The 201 answer of {@code POST /v1/devices/{id}/browser}. {@code connect_token} is shown only here and
 * {@link #toString()} never shows it.
 */
@JsonPropertyOrder({"session_id", "status", "connect_url", "connect_token", "region", "ready_in_s", "egress_ip",
        "expires_at", "max_tabs"})
public record BrowserSessionCreated(
        @JsonProperty("session_id") UUID sessionId,
        @JsonProperty("status") String status,
        @JsonProperty("connect_url") String connectUrl,
        @JsonProperty("connect_token") String connectToken,
        @JsonProperty("region") String region,
        @JsonProperty("ready_in_s") int readyInS,
        @JsonProperty("egress_ip") String egressIp,
        @JsonProperty("expires_at") Instant expiresAt,
        @JsonProperty("max_tabs") int maxTabs) {

    @Override
    public String toString() {
        return "BrowserSessionCreated[sessionId=" + sessionId + ", status=" + status + ", connectUrl=" + connectUrl
                + ", connectToken=***, region=" + region + ", readyInS=" + readyInS + ", egressIp=" + egressIp
                + ", expiresAt=" + expiresAt + ", maxTabs=" + maxTabs + "]";
    }
}
