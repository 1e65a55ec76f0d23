package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/**
 * A device operation ({@code GET /v1/operations/{id}}, and the answer of {@code POST
 * /v1/devices/{id}/rotate-ip}): {@code status} is {@code queued}, {@code running}, {@code succeeded},
 * {@code failed} or {@code timeout}; {@code reason} says why it did not succeed; {@code trigger} is
 * {@code api} or {@code schedule}.
 */
@JsonPropertyOrder({"operation_id", "kind", "device_id", "status", "trigger", "old_ip", "new_ip", "reason",
        "created_at", "started_at", "finished_at"})
public record OperationBody(
        @JsonProperty("operation_id") UUID operationId,
        @JsonProperty("kind") String kind,
        @JsonProperty("device_id") UUID deviceId,
        @JsonProperty("status") String status,
        @JsonProperty("trigger") String trigger,
        @JsonProperty("old_ip") String oldIp,
        @JsonProperty("new_ip") String newIp,
        @JsonProperty("reason") String reason,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("started_at") Instant startedAt,
        @JsonProperty("finished_at") Instant finishedAt) {

    /** True once the operation can no longer change. */
    public boolean finished() {
        return "succeeded".equals(status) || "failed".equals(status) || "timeout".equals(status);
    }
}
