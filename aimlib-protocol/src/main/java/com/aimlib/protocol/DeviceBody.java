package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.UUID;

/**
 * One item of {@code GET /v1/devices}: a device on an active lease. {@code current_egress_ip} and
 * {@code proxy} are present only when the lease has a proxy, and then {@code current_egress_ip} may be
 * null (the device has not reported it yet), which is why this record has its own writer.
 */
@JsonSerialize(using = DeviceBody.Writer.class)
public record DeviceBody(
        @JsonProperty("device_id") UUID deviceId,
        @JsonProperty("region") String region,
        @JsonProperty("carrier") String carrier,
        @JsonProperty("lease") LeaseBody lease,
        @JsonProperty("current_egress_ip") String currentEgressIp,
        @JsonProperty("proxy") ProxyBody proxy,
        @JsonProperty("browser") BrowserAvailabilityBody browser,
        @JsonProperty("health") DeviceHealthBody health) {

    /** Without the {@code health} extension. */
    public DeviceBody(UUID deviceId, String region, String carrier, LeaseBody lease, String currentEgressIp, ProxyBody proxy,
                      BrowserAvailabilityBody browser) {
        this(deviceId, region, carrier, lease, currentEgressIp, proxy, browser, null);
    }

    /**
     * Writes the documented field order, leaving out the proxy pair when there is no proxy; the {@code health}
     * extension goes last.
     */
    static final class Writer extends StdSerializer<DeviceBody> {
        Writer() {
            super(DeviceBody.class);
        }

        @Override
        public void serialize(DeviceBody d, JsonGenerator g, SerializerProvider p) throws IOException {
            g.writeStartObject();
            p.defaultSerializeField("device_id", d.deviceId(), g);
            p.defaultSerializeField("region", d.region(), g);
            p.defaultSerializeField("carrier", d.carrier(), g);
            p.defaultSerializeField("lease", d.lease(), g);
            if (d.proxy() != null) {
                p.defaultSerializeField("current_egress_ip", d.currentEgressIp(), g);
                p.defaultSerializeField("proxy", d.proxy(), g);
            }
            p.defaultSerializeField("browser", d.browser(), g);
            if (d.health() != null) {
                p.defaultSerializeField("health", d.health(), g);
            }
            g.writeEndObject();
        }
    }
}
