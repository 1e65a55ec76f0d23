package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import static com.aimlib.gateway.sessions.SessionState.IDLE;
import static com.aimlib.gateway.sessions.SessionState.REQUESTED;

import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.host.BootOrder;
import com.aimlib.store.Secrets;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * Adoption of a booted idle session (issue 14). A client that disconnects without DELETE (Playwright's
 * {@code browser.close()} on a CDP connection) leaves the session {@code idle}, still holding the device's one-session
 * cap; the documentation says an idle session is "eligible for adoption on the next device.browser() call for the
 * same (customer, device)". So the next create takes it over in place, in the create's transaction: a fresh connect
 * token (the old one stops working), the new request's profile, TTL, idle timeout and start URL, and the documented
 * 201 {@code provisioning}. The host keeps the browser when the resolved profile is unchanged (the same request
 * profile keeps the same resolution, so {@code random} stays the same phone) and replaces it otherwise.
 */
final class BootedAdoption {
    private BootedAdoption() {
    }

    static Optional<BrowserSessions.Claimed> claim(Handle h, BrowserSessions sessions, UUID customerId, UUID deviceId,
                                                    BrowserSessions.LeaseRow lease, Map<String, Object> device,
                                                    BrowserSessions.CreateRequest req, ObjectNode contextProfile, long cap, Instant now,
                                                    boolean needsState) {
        Optional<Map<String, Object>> found = h.createQuery("""
                        SELECT s.id, s.version, s.host_id, s.profile::text AS profile, s.resolved_profile::text AS resolved
                        FROM browser_sessions s
                        WHERE s.customer_id = :c AND s.device_id = :d AND s.lease_id = :l AND s.host_id IS NOT NULL
                          AND s.status = 'idle' AND s.resolved_profile IS NOT NULL AND (s.expires_at IS NULL OR s.expires_at > :now)
                        ORDER BY s.created_at DESC LIMIT 1 FOR UPDATE""")
                .bind("c", customerId).bind("d", deviceId).bind("l", lease.leaseId()).bind("now", Timestamp.from(now))
                .mapToMap().findOne();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> row = found.get();
        UUID hostId = (UUID) row.get("host_id");
        // The host must take the order; one that cannot restore contexts, load extensions or record (a remote host,
        // issue 12) does not adopt for a create that asks for them.
        com.aimlib.protocol.host.HostLink link = sessions.host(hostId);
        if (link == null || needsState && !link.savesState() || req.recording() != null && !link.records()) {
            return Optional.empty();
        }
        UUID id = (UUID) row.get("id");
        ObjectNode oldProfile = object((String) row.get("profile"));
        ObjectNode oldResolved = object((String) row.get("resolved"));
        String region = (String) device.get("region");
        // A saved context (issue 14) brings the profile it was saved with.
        ObjectNode resolved = contextProfile != null ? contextProfile.deepCopy() : req.profile().equals(oldProfile) ? oldResolved
                : sessions.profiles().resolve(h, hostId, region, (String) device.get("timezone"), (String) device.get("locale"), req.profile());
        // A recording starts with a browser (issue 14): one asked for now, or one the idle session had, means a fresh browser.
        boolean recorded = h.createQuery("SELECT count(*) FROM session_recordings WHERE session_id = :s").bind("s", id)
                .mapTo(Integer.class).one() > 0;
        boolean restart = !resolved.equals(oldResolved) || req.recording() != null || recorded;

        String token = Secrets.randomHex(24);
        Instant expires = now.plusSeconds(req.ttlSeconds());
        if (lease.endsAt() != null && lease.endsAt().isBefore(expires)) {
            expires = lease.endsAt();
        }
        Map<String, Object> binds = new LinkedHashMap<>();
        binds.put("sid", id);
        binds.put("version", row.get("version"));
        binds.put("hash", Secrets.hash(token));
        binds.put("ttl", req.ttlSeconds());
        binds.put("idle", req.idleTimeoutSeconds());
        binds.put("sticky", req.sticky());
        binds.put("profile", req.profile().toString());
        binds.put("resolved", resolved.toString());
        binds.put("expires", Timestamp.from(expires));
        binds.put("now", Timestamp.from(now));
        binds.put("start", req.startUrl());
        // The bridge of a kept browser keeps its data cap; a restarted one gets the new request's.
        String set = "connect_token_hash = :hash, ttl_s = :ttl, idle_timeout_s = :idle, sticky = :sticky, profile = CAST(:profile AS jsonb), "
                + "resolved_profile = CAST(:resolved AS jsonb), expires_at = :expires, last_activity_at = :now, boot_started_at = :now, "
                + "start_url = :start" + (restart ? ", data_cap_bytes = :cap, downloads_dir = NULL" : "");
        if (restart) {
            binds.put("cap", cap);
        }
        boolean moved = !SessionStateMachine.moveWhere(h, EnumSet.of(IDLE), REQUESTED, "s.id = :sid AND s.version = :version", set, binds).isEmpty();
        if (!moved) {
            throw new ApiException(503, ErrorCode.CAPACITY_UNAVAILABLE, "session changed during provisioning, retry");
        }
        // A kept browser keeps its bridge and so its bridge credential; a restarted one gets a fresh credential.
        BrowserSessions.Bridge bridge = restart ? sessions.mintBridge(h, id) : null;
        BootOrder order = new BootOrder(id, (String) device.get("name"), resolved, cap, bridge == null ? null : bridge.username(),
                bridge == null ? null : bridge.password(), req.startUrl(), sessions.claimRecording(h, customerId, id, req));
        return Optional.of(new BrowserSessions.Claimed(id, hostId, token, region, expires, order,
                restart ? BrowserSessions.HostOrder.RESTART : BrowserSessions.HostOrder.RESUME));
    }

    private static ObjectNode object(String json) {
        try {
            return json == null ? Json.MAPPER.createObjectNode() : (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("stored profile is not JSON", e);
        }
    }
}
