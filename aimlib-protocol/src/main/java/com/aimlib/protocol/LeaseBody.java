package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.UUID;

/** The {@code lease} of a {@link DeviceBody}: its id and end ({@code null} when open-ended). */
@JsonPropertyOrder({"id", "ends_at"})
public record LeaseBody(@JsonProperty("id") UUID id, @JsonProperty("ends_at") Instant endsAt) {
}
