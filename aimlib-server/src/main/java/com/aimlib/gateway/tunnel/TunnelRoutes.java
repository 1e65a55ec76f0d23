package com.aimlib.gateway.tunnel;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.auth.ApiKeyAuth;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Response;
import com.aimlib.gateway.http.Router;
import com.aimlib.gateway.rotation.RotationService;
import com.aimlib.protocol.OperationBody;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The operator routes of the device tunnel:
 * <ul>
 *   <li>{@code POST /admin/v1/devices/{id}/agent-token}: mints the device's agent token (201, shown once,
 *       stored hashed; replaces the previous one).</li>
 *   <li>{@code POST /admin/v1/devices/{id}/rotate}: rotates the device's egress IP (an operation of
 *       {@link RotationService}, trigger {@code operator}) and answers when the agent confirmed the new one (200),
 *       or 504 {@code rotation_timeout} when it did not change in time.</li>
 *   <li>{@code GET /admin/v1/devices/{id}/egress-history}: the egress IPs the device was seen with, newest first.</li>
 * </ul>
 */
public final class TunnelRoutes {
    private static final Duration ROTATE_TIMEOUT = Duration.ofMinutes(3);

    private TunnelRoutes() {
    }

    public static void register(Router router, ApiKeyAuth auth, AgentStore store, RotationService rotations, Jdbi jdbi) {
        router.post("/admin/v1/devices/{id}/agent-token", auth.operator(request -> {
            UUID id = request.uuidParam("id");
            AgentStore.MintedToken minted = store.mintToken(id)
                    .orElseThrow(() -> ApiException.notFound("device not found"));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("device_id", minted.deviceId());
            body.put("agent_token", minted.token());
            body.put("agent_token_prefix", minted.prefix());
            return Response.created(body);
        }));
        router.post("/admin/v1/devices/{id}/rotate", auth.operator(request -> {
            UUID id = request.uuidParam("id");
            // The same operation and state machine as a customer's rotation, without the lease and interval rules.
            OperationBody op = rotations.requestAsOperator(id);
            op = rotations.await(op.operationId(), null, ROTATE_TIMEOUT);
            if (!op.finished()) {
                throw new ApiException(504, ErrorCode.ROTATION_TIMEOUT, "the egress IP did not change in time");
            }
            if (!"succeeded".equals(op.status())) {
                String reason = op.reason() == null ? "" : op.reason();
                throw switch (reason) {
                    case "device_offline" -> new ApiException(409, ErrorCode.DEVICE_OFFLINE, "the device's agent is not connected");
                    case "rotation_in_progress" -> new ApiException(409, ErrorCode.ROTATION_IN_PROGRESS, "the device is already rotating");
                    case "ip_unchanged", "network_not_back", "agent_no_answer" ->
                            new ApiException(504, ErrorCode.ROTATION_TIMEOUT, "the egress IP did not change in time");
                    default -> new ApiException(502, ErrorCode.ROTATION_FAILED, "the agent could not rotate the device");
                };
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("device_id", id);
            body.put("previous_ip", op.oldIp());
            body.put("egress_ip", op.newIp());
            body.put("operation_id", op.operationId());
            return Response.ok(body);
        }));
        router.get("/admin/v1/devices/{id}/egress-history", auth.operator(request -> {
            UUID id = request.uuidParam("id");
            requireDevice(jdbi, id);
            List<Map<String, Object>> rows = jdbi.withHandle(h -> h.createQuery("""
                            SELECT ip, observed_at, last_seen_at, source, operation_id FROM device_egress_history WHERE device_id = :id
                            ORDER BY observed_at DESC, id DESC LIMIT 100""")
                    .bind("id", id)
                    .map((rs, ctx) -> {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("ip", rs.getString("ip"));
                        row.put("observed_at", rs.getTimestamp("observed_at").toInstant().toString());
                        row.put("last_seen_at", rs.getTimestamp("last_seen_at").toInstant().toString());
                        row.put("source", rs.getString("source"));
                        row.put("operation_id", rs.getObject("operation_id", UUID.class));
                        return row;
                    }).list());
            return Response.ok(Map.of("data", rows));
        }));
    }

    private static void requireDevice(Jdbi jdbi, UUID id) {
        boolean exists = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM devices WHERE id = :id")
                .bind("id", id).mapTo(Integer.class).one()) == 1;
        if (!exists) {
            throw ApiException.notFound("device not found");
        }
    }
}
