package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** One page of {@code GET /v1/sessions}: newest first; {@code next_cursor} asks for the next page, null on the last. */
@JsonPropertyOrder({"data", "next_cursor"})
public record SessionPageBody(
        @JsonProperty("data") List<SessionInfoBody> data,
        @JsonProperty("next_cursor") String nextCursor) {
}
