package com.aimlib.protocol.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The wire between the gateway and a browser host on another machine (issue 12, Selenium Grid's Router → Node):
 * <ul>
 *   <li>host → gateway reports, on the gateway's HTTP port under {@link #REPORTS} with {@code Authorization: Bearer
 *       <host token>} ({@link #TOKEN_PREFIX}…, minted by {@code POST /admin/v1/hosts}); a report on a session not
 *       placed on that host is 404;</li>
 *   <li>gateway → host orders, on the host's own API under {@link #ORDERS} with {@code Authorization: Bearer <api
 *       secret>} (the random secret the host left at registration);</li>
 *   <li>the CDP relay endpoint on the host, {@code /cdp/{session}/<DevTools path>} with {@link #RELAY_SECRET_HEADER}
 *       (the per-session secret of the boot order): HTTP discovery and WebSocket upgrades spliced to that session's
 *       browser only.</li>
 * </ul>
 * Errors are {@code {"error": "...", "message": "..."}} with the codes of {@code ErrorCode}.
 */
public final class HostApi {
    /** Prefix of the report routes on the gateway. */
    public static final String REPORTS = "/host/v1";
    /** Prefix of the order routes on the host. */
    public static final String ORDERS = "/host-api/v1";
    /** Prefix of the per-session CDP relay endpoint on the host. */
    public static final String RELAY = "/cdp/";
    /** The header the gateway's relay presents the session's relay secret in. */
    public static final String RELAY_SECRET_HEADER = "X-Aimlib-Relay-Secret";
    /** Host credentials start with this (a leaked token is recognisable in logs and scanners). */
    public static final String TOKEN_PREFIX = "aimh_";
    /** Proxy usernames of per-session bridge credentials start with this. */
    public static final String BRIDGE_USER_PREFIX = "sb_";
    /**
     * How often a host beats. The gateway fails a host's sessions once its last beat is older than its heartbeat
     * timeout (8 s by default), and its reaper runs every second: a dead host's sessions are failed within 10 s.
     */
    public static final long HEARTBEAT_INTERVAL_MILLIS = 2000;

    private HostApi() {
    }

    /** {@code POST /host/v1/register}: {@code name} and {@code region} must match the credential's (or be absent). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Register(@JsonProperty("name") String name, @JsonProperty("region") String region,
                           @JsonProperty("api_url") String apiUrl, @JsonProperty("capacity") int capacity,
                           @JsonProperty("chrome_version") String chromeVersion, @JsonProperty("api_secret") String apiSecret) {
        @Override
        public String toString() {
            return "Register[" + name + " " + region + " " + apiUrl + " capacity=" + capacity + "]";
        }
    }

    /** The answer to a registration: the host's id, and how often it must beat (the gateway fails its sessions after {@code heartbeat_timeout_ms}). */
    public record Registered(@JsonProperty("host_id") UUID hostId, @JsonProperty("heartbeat_interval_ms") long heartbeatIntervalMillis,
                             @JsonProperty("heartbeat_timeout_ms") long heartbeatTimeoutMillis) {
    }

    /** {@code POST /host/v1/self}: who the credential names (a host asks before it starts: its region shapes its default profile). */
    public record Self(@JsonProperty("host_id") UUID hostId, @JsonProperty("name") String name, @JsonProperty("region") String region) {
    }

    /** {@code POST /host/v1/sessions/{id}/ready}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ready(@JsonProperty("cdp_port") int cdpPort, @JsonProperty("cdp_path") String cdpPath,
                        @JsonProperty("egress_ip") String egressIp, @JsonProperty("resolved_profile") ObjectNode resolvedProfile,
                        @JsonProperty("boot_ms") long bootMillis, @JsonProperty("downloads_dir") String downloadsDir,
                        @JsonProperty("pool_hit") Boolean poolHit, @JsonProperty("phases_ns") Map<String, Long> phasesNanos) {
    }

    /** {@code POST /host/v1/sessions/{id}/failed}. */
    public record Failed(@JsonProperty("reason") String reason) {
    }

    /** {@code POST /host/v1/sessions/{id}/bytes}: the session's bridge total so far. */
    public record Bytes(@JsonProperty("total") long total) {
    }

    /** {@code POST /host/v1/sessions/{id}/egress}: the egress IP seen through the session's bridge (null: the check failed). */
    public record Egress(@JsonProperty("egress_ip") String egressIp) {
    }

    /**
     * {@code POST /host-api/v1/sessions/{id}/boot|resume|restart}: what {@link BootOrder} says, with the session's bridge
     * credential in place of any lease credential and the secret the gateway's relay will present for this session.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Order(@JsonProperty("device_name") String deviceName, @JsonProperty("profile") ObjectNode profile,
                        @JsonProperty("data_cap_bytes") long dataCapBytes, @JsonProperty("bridge_username") String bridgeUsername,
                        @JsonProperty("bridge_password") String bridgePassword, @JsonProperty("start_url") String startUrl,
                        @JsonProperty("relay_secret") String relaySecret, @JsonProperty("saved_state") byte[] savedState,
                        @JsonProperty("extensions") List<Extension> extensions) {
        public static Order of(BootOrder o, String relaySecret) {
            return of(o, relaySecret, BootExtras.NONE);
        }

        /** With a saved context to restore and extensions to load (base64 in JSON). */
        public static Order of(BootOrder o, String relaySecret, BootExtras extras) {
            return new Order(o.deviceName(), o.profile(), o.dataCapBytes(), o.proxyUsername(), o.proxyPassword(), o.startUrl(), relaySecret,
                    extras.savedState(), extras.extensions().isEmpty() ? null
                            : extras.extensions().stream().map(e -> new Extension(e.id(), e.archive())).toList());
        }

        public BootOrder toBootOrder(UUID sessionId) {
            return new BootOrder(sessionId, deviceName, profile, dataCapBytes, bridgeUsername, bridgePassword, startUrl, null);
        }

        public BootExtras toBootExtras() {
            List<BootExtras.Extension> ext = extensions == null ? List.of()
                    : extensions.stream().map(e -> new BootExtras.Extension(e.id(), e.archive())).toList();
            return savedState == null && ext.isEmpty() ? BootExtras.NONE : new BootExtras(savedState, ext);
        }

        @Override
        public String toString() {
            return "Order[device=" + deviceName + ", cap=" + dataCapBytes + "]";
        }
    }

    /** One extension of a boot order: its id and its normalized zip. */
    public record Extension(@JsonProperty("id") UUID id, @JsonProperty("archive") byte[] archive) {
    }

    /**
     * {@code POST /host-api/v1/sessions/{id}/save-state}: the session's cookies and storage as a {@link SavedState} zip
     * (200 {@code application/zip}); with {@code stop} the browser closes cleanly first and the session is torn down.
     * 413 {@code context_too_large} over {@code max_bytes}; 409 when the browser is not running.
     */
    public record SaveState(@JsonProperty("stop") boolean stop, @JsonProperty("max_bytes") long maxBytes) {
    }

    /** {@code GET /host-api/v1/status}. */
    public record Status(@JsonProperty("host_id") UUID hostId, @JsonProperty("name") String name, @JsonProperty("capacity") int capacity,
                         @JsonProperty("sessions") List<UUID> sessions, @JsonProperty("warm") int warm) {
    }
}
