package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.UUID;

/** {@code DELETE /v1/devices/{id}/browser} with {@code persist}: the documented {@code stopping}, plus the context saved. */
@JsonPropertyOrder({"status", "context_id"})
public record PersistedStopBody(@JsonProperty("status") String status, @JsonProperty("context_id") UUID contextId) {
}
