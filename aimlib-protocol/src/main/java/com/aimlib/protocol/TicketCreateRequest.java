package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The body of {@code POST /v1/tickets}. */
@JsonPropertyOrder({"subject", "body"})
public record TicketCreateRequest(@JsonProperty("subject") String subject, @JsonProperty("body") String body) {
}
