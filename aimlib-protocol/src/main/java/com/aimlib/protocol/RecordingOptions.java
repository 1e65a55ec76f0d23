package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The {@code recording} field of a browser session's create body (issue 14): which files the session records. */
@JsonPropertyOrder({"har", "screenshots", "video"})
public record RecordingOptions(
        @JsonProperty("har") boolean har,
        @JsonProperty("screenshots") boolean screenshots,
        @JsonProperty("video") boolean video) {
}
