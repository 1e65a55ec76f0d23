package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A bare status answer, such as {@code {"status": "stopping"}} of {@code DELETE /v1/devices/{id}/browser}. */
public record StatusBody(@JsonProperty("status") String status) {
    public static final StatusBody STOPPING = new StatusBody("stopping");
}
