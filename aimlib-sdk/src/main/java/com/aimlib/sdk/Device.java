package com.aimlib.sdk;

import com.aimlib.protocol.BrowserSessionCreated;
import com.aimlib.protocol.DeviceBody;
import com.aimlib.protocol.DeviceHealthBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Instant;

/** A leased mobile device: its identity, its raw {@link Proxy} and, on demand, a managed browser. */
public final class Device {
    private static final TypeReference<BrowserSessionCreated> CREATED = new TypeReference<>() {
    };
    private final Transport transport;
    private final DeviceBody body;
    private final Proxy proxy;

    Device(Transport transport, DeviceBody body) {
        this.transport = transport;
        this.body = body;
        this.proxy = body.proxy() == null ? null : new Proxy(body.proxy());
    }

    /** The device id (a UUID). */
    public String id() {
        return body.deviceId().toString();
    }

    /** The gateway region, or null. */
    public String region() {
        return body.region();
    }

    /** The active mobile carrier, or null. */
    public String carrier() {
        return body.carrier();
    }

    /** The device's current public IP, or null (not reported yet, or no proxy on the lease). */
    public String currentEgressIp() {
        return body.currentEgressIp();
    }

    /** The raw mobile proxy, or null when the lease has no provisioned proxy. */
    public Proxy proxy() {
        return proxy;
    }

    /**
     * The device's compact health (extension): status {@code healthy}, {@code unhealthy} or {@code unknown}, network
     * type, signal, battery, temperature, tunnel RTT, last rotation. Null from an older gateway.
     */
    public DeviceHealthBody health() {
        return body.health();
    }

    /** The active lease's id. */
    public String leaseId() {
        return body.lease() == null ? null : String.valueOf(body.lease().id());
    }

    /** The active lease's end, or null when it is open-ended. */
    public Instant leaseEndsAt() {
        return body.lease() == null ? null : body.lease().endsAt();
    }

    /** Starts a browser session with the server's defaults ({@code POST /v1/devices/{id}/browser}). */
    public BrowserSession browser() {
        return browser(BrowserOptions.defaults());
    }

    /** Starts a browser session for a standardised device name such as {@code "pixel-8-pro"} or {@code "random"}. */
    public BrowserSession browser(String profile) {
        return browser(BrowserOptions.builder().profile(profile).build());
    }

    /**
     * Starts (provisions) a browser session; the answer is at once, with status {@code provisioning}. Call
     * {@link BrowserSession#connect()} or {@link BrowserSession#newPage()} to wait for it and drive it.
     *
     * @throws LeaseInactiveException no active lease with a proxy on this device
     * @throws CapacityException a session cap, or no browser host capacity after the retries
     * @throws DataCapException the device's monthly data cap is exhausted
     * @throws AimlibException an invalid profile or any other error
     */
    public BrowserSession browser(BrowserOptions options) {
        BrowserSessionCreated c = transport.call("POST", "/v1/devices/" + id() + "/browser", options.request(), CREATED);
        return new BrowserSession(transport, this, c);
    }

    @Override
    public String toString() {
        return "Device[id=" + id() + ", region=" + region() + ", carrier=" + carrier() + ", currentEgressIp=" + currentEgressIp()
                + ", proxy=" + proxy + "]";
    }
}
