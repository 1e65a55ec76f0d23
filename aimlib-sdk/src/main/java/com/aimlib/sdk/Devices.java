package com.aimlib.sdk;

import com.aimlib.protocol.DeviceBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;

/** The caller's leased devices ({@code GET /v1/devices}). */
public final class Devices {
    private static final TypeReference<List<DeviceBody>> LIST = new TypeReference<>() {
    };
    private final Transport transport;

    Devices(Transport transport) {
        this.transport = transport;
    }

    /** The devices the caller holds an active lease on, oldest lease first; empty without leases. */
    public List<Device> list() {
        return transport.call("GET", "/v1/devices", null, LIST).stream().map(d -> new Device(transport, d)).toList();
    }

    /** One leased device, looked up client-side over {@link #list()}; {@link AimlibException} when it is not leased. */
    public Device get(String id) {
        return list().stream().filter(d -> d.id().equalsIgnoreCase(id.strip())).findFirst()
                .orElseThrow(() -> new AimlibException("device " + id + " is not leased to this account"));
    }
}
