package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The {@code browser} of a {@link DeviceBody}: always available, every leased device offers one. */
public record BrowserAvailabilityBody(@JsonProperty("available") boolean available) {
    public static final BrowserAvailabilityBody AVAILABLE = new BrowserAvailabilityBody(true);
}
