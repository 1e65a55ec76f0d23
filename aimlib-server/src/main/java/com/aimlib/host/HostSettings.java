package com.aimlib.host;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A browser host's configuration. {@code upstream} is the gateway proxy front each session's bridge
 * chains to (SOCKS5 by default, with the lease's proxy credentials); {@code probeUrl}, when set, is a
 * what-is-my-IP URL fetched through the browser's own path to learn the session's egress address.
 * {@code identity} is whether the session's resolved profile is applied to its browser: always, except in the
 * benchmark that measures what applying it costs.
 */
public record HostSettings(
        String name,
        String region,
        String address,
        int capacity,
        Path chromium,
        Path workDir,
        String upstreamType,
        InetSocketAddress upstream,
        String probeUrl,
        Duration heartbeatInterval,
        Duration bytesReportInterval,
        int warmPool,
        boolean identity) {

    public HostSettings {
        if (!"socks5".equals(upstreamType) && !"http".equals(upstreamType)) {
            throw new IllegalArgumentException("upstream type must be socks5 or http");
        }
    }

    public static HostSettings defaults(String name, String region, InetSocketAddress upstream) {
        return new HostSettings(name, region, "127.0.0.1", 8, Path.of("/usr/bin/chromium"),
                Path.of(System.getProperty("java.io.tmpdir"), "aimlib-host-" + name), "socks5", upstream, null,
                Duration.ofMillis(com.aimlib.protocol.host.HostApi.HEARTBEAT_INTERVAL_MILLIS), Duration.ofSeconds(2), 0, true);
    }

    public HostSettings withProbeUrl(String url) {
        return new HostSettings(name, region, address, capacity, chromium, workDir, upstreamType, upstream, url, heartbeatInterval, bytesReportInterval, warmPool, identity);
    }

    public HostSettings withCapacity(int c) {
        return new HostSettings(name, region, address, c, chromium, workDir, upstreamType, upstream, probeUrl, heartbeatInterval, bytesReportInterval, warmPool, identity);
    }

    public HostSettings withWorkDir(Path dir) {
        return new HostSettings(name, region, address, capacity, chromium, dir, upstreamType, upstream, probeUrl, heartbeatInterval, bytesReportInterval, warmPool, identity);
    }

    public HostSettings withUpstream(String type, InetSocketAddress address) {
        return new HostSettings(name, region, this.address, capacity, chromium, workDir, type, address, probeUrl, heartbeatInterval, bytesReportInterval, warmPool, identity);
    }

    /** Keeps {@code n} browsers launched ahead with the default profile; each is used by one session only, then destroyed. */
    public HostSettings withWarmPool(int n) {
        return new HostSettings(name, region, address, capacity, chromium, workDir, upstreamType, upstream, probeUrl, heartbeatInterval, bytesReportInterval, n, identity);
    }

    public HostSettings withChromium(Path binary) {
        return new HostSettings(name, region, address, capacity, binary, workDir, upstreamType, upstream, probeUrl, heartbeatInterval, bytesReportInterval, warmPool, identity);
    }

    /** Off only in the benchmark of what identity costs: the browser then shows the host's own values. */
    public HostSettings withIdentity(boolean on) {
        return new HostSettings(name, region, address, capacity, chromium, workDir, upstreamType, upstream, probeUrl, heartbeatInterval, bytesReportInterval, warmPool, on);
    }
}
