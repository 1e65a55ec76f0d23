package com.aimlib.host;

import com.aimlib.protocol.host.GatewayLink;
import com.aimlib.protocol.host.HostApi;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.protocol.host.StartPhases;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway as a host on another machine sees it (issue 12): every report is a POST to the gateway's HTTP port under
 * {@code /host/v1} with the host's own credential ({@code Authorization: Bearer aimh_…}), whichever replica the balancer
 * picks (they share all state in PostgreSQL). Reports are retried on a transport failure or a 5xx (three tries, short
 * back-off); a heart-beat is tried once (the next one follows in two seconds). Registration also leaves the host's API
 * base URL and the random secret the gateway must present on it.
 */
public final class RemoteGatewayLink implements GatewayLink {
    private static final Logger log = LoggerFactory.getLogger(RemoteGatewayLink.class);
    private static final ObjectMapper MAPPER = new ObjectMapper().disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int ATTEMPTS = 3;

    private final URI gateway;
    private final String token;
    private final String apiUrl;
    private final String apiSecret;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

    /**
     * {@code gateway}: the gateway's base URL (the balancer's); {@code token}: the host credential; {@code apiUrl}: where the
     * gateway reaches this host's API ({@code http://host:port}); {@code apiSecret}: what it must present there.
     */
    public RemoteGatewayLink(URI gateway, String token, String apiUrl, String apiSecret) {
        this.gateway = gateway;
        this.token = token;
        this.apiUrl = apiUrl;
        this.apiSecret = apiSecret;
    }

    /** A refused report (4xx other than 404 on a session, or the gateway gone): the caller's log says why. */
    public static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Who the credential says this host is (name, region, id), asked before the host starts (its region shapes its default profile). */
    public HostApi.Self self() {
        try {
            return MAPPER.readValue(send("/self", "{}", 60), HostApi.Self.class);
        } catch (IOException e) {
            throw new Refused(0, "answer unreadable: " + e.getMessage());
        }
    }

    @Override
    public UUID register(String name, String region, String address, int capacity, String chromeVersion, HostLink link) {
        HostApi.Registered r;
        try {
            String body = send("/register", MAPPER.writeValueAsString(new HostApi.Register(name, region, apiUrl, capacity, chromeVersion, apiSecret)),
                    60);
            r = MAPPER.readValue(body, HostApi.Registered.class);
        } catch (IOException e) {
            throw new Refused(0, "registration answer unreadable: " + e.getMessage());
        }
        log.info("registered with the gateway gateway={} host={} heartbeat_interval_ms={}", gateway, r.hostId(), r.heartbeatIntervalMillis());
        return r.hostId();
    }

    @Override
    public void heartbeat(UUID hostId) {
        send("/heartbeat", "{}", 1);
    }

    @Override
    public void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long bootMillis, String downloadsDir) {
        ready(sessionId, cdpPort, cdpPath, egressIp, resolvedProfile, bootMillis, downloadsDir, null);
    }

    @Override
    public void ready(UUID sessionId, int cdpPort, String cdpPath, String egressIp, ObjectNode resolvedProfile, long bootMillis,
                      String downloadsDir, StartPhases phases) {
        report(sessionId, "ready", new HostApi.Ready(cdpPort, cdpPath, egressIp, resolvedProfile, bootMillis, downloadsDir,
                phases == null ? null : phases.poolHit(), phases == null ? null : phases.nanos()));
    }

    @Override
    public void egressVerified(UUID sessionId, String egressIp) {
        report(sessionId, "egress", new HostApi.Egress(egressIp));
    }

    @Override
    public void failed(UUID sessionId, String reason) {
        report(sessionId, "failed", new HostApi.Failed(reason == null || reason.isBlank() ? "failed" : reason.length() > 500 ? reason.substring(0, 500) : reason));
    }

    @Override
    public void stopped(UUID sessionId) {
        report(sessionId, "stopped", java.util.Map.of());
    }

    @Override
    public void bytes(UUID sessionId, long total) {
        report(sessionId, "bytes", new HostApi.Bytes(total));
    }

    private void report(UUID sessionId, String what, Object body) {
        try {
            send("/sessions/" + sessionId + "/" + what, MAPPER.writeValueAsString(body), ATTEMPTS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (Refused e) {
            // 404: the session is not ours (any more) on the gateway; nothing to retry.
            log.warn("report refused session={} report={} status={} cause={}", sessionId, what, e.status, e.getMessage());
        }
    }

    /** POSTs {@code body} to {@code /host/v1<path>}; the answer's body on 2xx. Retries transport failures and 5xx. */
    private String send(String path, String body, int attempts) {
        HttpRequest req = HttpRequest.newBuilder(gateway.resolve(HostApi.REPORTS + path)).timeout(Duration.ofSeconds(attempts == 1 ? 3 : 10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 == 2) {
                    return res.body();
                }
                if (res.statusCode() < 500 || attempt >= attempts) {
                    throw new Refused(res.statusCode(), "gateway answered " + res.statusCode() + " " + abbreviate(res.body()));
                }
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw new Refused(0, "gateway unreachable: " + e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refused(0, "interrupted");
            }
            try {
                Thread.sleep(250L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refused(0, "interrupted");
            }
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
    }

    @Override
    public String toString() {
        return "RemoteGatewayLink[" + gateway + "]";
    }
}
