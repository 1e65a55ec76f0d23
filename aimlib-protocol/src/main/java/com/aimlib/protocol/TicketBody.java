package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The ticket object, the same on every ticket route, always with its thread. {@code customer_id} is shown
 * only on the operator API (null, and left out, on {@code /v1}); {@code awaiting_close_from} is null once
 * the ticket is closed.
 */
@JsonPropertyOrder({"id", "customer_id", "subject", "status", "customer_closed", "operator_closed", "awaiting_close_from",
        "messages", "complete", "created_at", "updated_at"})
public record TicketBody(
        @JsonProperty("id") UUID id,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("customer_id") UUID customerId,
        @JsonProperty("subject") String subject,
        @JsonProperty("status") String status,
        @JsonProperty("customer_closed") boolean customerClosed,
        @JsonProperty("operator_closed") boolean operatorClosed,
        @JsonProperty("awaiting_close_from") String awaitingCloseFrom,
        @JsonProperty("messages") List<TicketMessageBody> messages,
        @JsonProperty("complete") boolean complete,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("updated_at") Instant updatedAt) {
}
