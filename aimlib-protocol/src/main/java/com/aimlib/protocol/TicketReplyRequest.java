package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The body of {@code POST /v1/tickets/{id}/messages}. */
public record TicketReplyRequest(@JsonProperty("body") String body) {
}
