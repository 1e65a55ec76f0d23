package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/** One message of a ticket's thread; {@code author} is {@code "customer"} or {@code "operator"}. */
@JsonPropertyOrder({"author", "body", "created_at"})
public record TicketMessageBody(
        @JsonProperty("author") String author,
        @JsonProperty("body") String body,
        @JsonProperty("created_at") Instant createdAt) {
}
