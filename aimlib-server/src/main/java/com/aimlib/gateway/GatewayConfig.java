package com.aimlib.gateway;

import com.aimlib.gateway.health.DeviceHealthMonitor;
import com.aimlib.gateway.http.HttpLimits;
import com.aimlib.gateway.rotation.RotationSettings;
import java.time.Clock;
import java.time.Duration;

/**
 * Everything a gateway is configured with, defaults in one place. Port 0 means "pick a free one"
 * (tests); {@code publicHost} is the name customers use in URLs; {@code metricsPort} null: no separate
 * scraper listener (then /metrics is served on the REST port to operator keys only).
 */
public record GatewayConfig(
        String bindHost,
        String publicHost,
        String publicUrl,
        int httpPort,
        int socksPort,
        int httpProxyPort,
        int tunnelPort,
        String region,
        int maxBodyBytes,
        long rateLimitPerHour,
        int maxTabs,
        boolean autoBrowserSession,
        int workerThreads,
        HttpLimits httpLimits,
        String metricsHost,
        Integer metricsPort,
        Clock clock,
        DeviceHealthMonitor.Settings deviceHealth,
        RotationSettings rotation,
        long contextMaxBytes,
        int extensionMaxBytes,
        boolean proxyProtocol,
        com.aimlib.gateway.replicas.Replicas.Settings replicas,
        boolean sharedRateLimits) {

    /**
     * The base of the WebSocket URLs customers get ({@code connect_url}, discovery): {@code wss://host} for an
     * https public URL, {@code ws://host} for an http one; null when no public URL is set.
     */
    public String publicWsBase() {
        if (publicUrl == null) {
            return null;
        }
        return (publicUrl.startsWith("https://") ? "wss://" : "ws://") + publicUrl.substring(publicUrl.indexOf("://") + 3);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private String bindHost = "127.0.0.1";
        private String publicHost = "127.0.0.1";
        /** Where customers reach the REST/CDP port when that is not http://publicHost:httpPort (a TLS terminator); null: that. */
        private String publicUrl = null;
        private int httpPort = 7780;
        private int socksPort = 7781;
        private int httpProxyPort = 7782;
        private int tunnelPort = 7783;
        private String region = "local";
        private int maxBodyBytes = 64 * 1024;
        private long rateLimitPerHour = 1000;
        private int maxTabs = 5;
        private boolean autoBrowserSession = true;
        private int workerThreads = 0;
        private Duration httpIdleTimeout = HttpLimits.DEFAULTS.idleTimeout();
        private Duration httpHeaderTimeout = HttpLimits.DEFAULTS.headerTimeout();
        private Duration httpBodyTimeout = HttpLimits.DEFAULTS.bodyTimeout();
        private int httpMaxConnections = HttpLimits.DEFAULTS.maxConnections();
        /** The scraper's listener is for the host (or a private network), never the customers' address. */
        private String metricsHost = "127.0.0.1";
        private Integer metricsPort = null;
        private Clock clock = Clock.systemUTC();
        private DeviceHealthMonitor.Settings deviceHealth = DeviceHealthMonitor.Settings.defaults();
        private RotationSettings rotation = RotationSettings.defaults();
        private com.aimlib.gateway.replicas.Replicas.Settings replicas = com.aimlib.gateway.replicas.Replicas.Settings.defaults();
        private boolean sharedRateLimits = true;
        /** Issue 14: a saved context's packed size, and an extension upload's body. */
        private long contextMaxBytes = 20L << 20;
        private int extensionMaxBytes = 10 << 20;
        /** Issue 12: the proxy and tunnel ports expect a PROXY protocol (v1 or v2) header from a load balancer first. */
        private boolean proxyProtocol = false;

        public Builder bindHost(String v) { bindHost = v; return this; }
        public Builder publicHost(String v) { publicHost = v; return this; }
        public Builder publicUrl(String v) { publicUrl = v; return this; }
        public Builder httpPort(int v) { httpPort = v; return this; }
        public Builder socksPort(int v) { socksPort = v; return this; }
        public Builder httpProxyPort(int v) { httpProxyPort = v; return this; }
        public Builder tunnelPort(int v) { tunnelPort = v; return this; }
        public Builder region(String v) { region = v; return this; }
        public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
        public Builder rateLimitPerHour(long v) { rateLimitPerHour = v; return this; }
        public Builder maxTabs(int v) { maxTabs = v; return this; }
        public Builder autoBrowserSession(boolean v) { autoBrowserSession = v; return this; }
        public Builder workerThreads(int v) { workerThreads = v; return this; }
        public Builder httpIdleTimeout(Duration v) { httpIdleTimeout = v; return this; }
        public Builder httpHeaderTimeout(Duration v) { httpHeaderTimeout = v; return this; }
        public Builder httpBodyTimeout(Duration v) { httpBodyTimeout = v; return this; }
        public Builder httpMaxConnections(int v) { httpMaxConnections = v; return this; }
        public Builder metricsHost(String v) { metricsHost = v; return this; }
        public Builder metricsPort(Integer v) { metricsPort = v; return this; }
        public Builder clock(Clock v) { clock = v; return this; }
        /** How often devices are asked about their health, and after how long without egress one is unhealthy. */
        public Builder deviceHealth(DeviceHealthMonitor.Settings v) { deviceHealth = v; return this; }
        public Builder rotation(RotationSettings v) { rotation = v; return this; }
        public Builder contextMaxBytes(long v) { contextMaxBytes = v; return this; }
        public Builder extensionMaxBytes(int v) { extensionMaxBytes = v; return this; }
        public Builder proxyProtocol(boolean v) { proxyProtocol = v; return this; }
        /** Replica heartbeat and expiry (issue 12); a zero heartbeat leaves {@code Replicas.beat()} to the caller (tests). */
        public Builder replicas(com.aimlib.gateway.replicas.Replicas.Settings v) { replicas = v; return this; }
        /** Rate-limit buckets in PostgreSQL, shared by replicas (default), or in this process only (one replica). */
        public Builder sharedRateLimits(boolean v) { sharedRateLimits = v; return this; }

        /** All listeners on free ports: what tests use. */
        public Builder ephemeralPorts() {
            httpPort = 0;
            socksPort = 0;
            httpProxyPort = 0;
            tunnelPort = 0;
            replicas = replicas.withPeer(0, replicas.peerAdvertise());
            return this;
        }

        public GatewayConfig build() {
            String url = publicUrl;
            if (url != null) {
                url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
                if (!url.matches("https?://[A-Za-z0-9.\\[\\]:-]+")) {
                    throw new IllegalArgumentException("the public URL must be http(s)://host[:port] without a path, got '" + publicUrl + "'");
                }
            }
            return new GatewayConfig(bindHost, publicHost, url, httpPort, socksPort, httpProxyPort, tunnelPort, region,
                    maxBodyBytes, rateLimitPerHour, maxTabs, autoBrowserSession, workerThreads,
                    new HttpLimits(httpIdleTimeout, httpHeaderTimeout, httpBodyTimeout, httpMaxConnections),
                    metricsHost, metricsPort, clock, deviceHealth, rotation, contextMaxBytes, extensionMaxBytes, proxyProtocol, replicas,
                    sharedRateLimits);
        }
    }
}
