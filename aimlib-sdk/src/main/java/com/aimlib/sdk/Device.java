package com.aimlib.sdk;

import com.aimlib.protocol.BrowserSessionCreated;
import com.aimlib.protocol.DeviceBody;
import com.aimlib.protocol.DeviceHealthBody;
import com.aimlib.protocol.EgressIpBody;
import com.aimlib.protocol.OperationBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A leased mobile device: its identity, its raw {@link Proxy} and, on demand, a managed browser. */
public final class Device {
    private static final TypeReference<BrowserSessionCreated> CREATED = new TypeReference<>() {
    };
    private static final TypeReference<OperationBody> OPERATION = new TypeReference<>() {
    };
    private static final TypeReference<List<EgressIpBody>> IPS = new TypeReference<>() {
    };
    /** The longest the server blocks one rotate request; longer waits continue by polling the operation. */
    private static final long SERVER_WAIT_MAX_S = 300;
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

    /** {@link #rotateIp(boolean, Duration)} waiting up to 120 s. */
    public OperationBody rotateIp() {
        return rotateIp(true, Duration.ofSeconds(120));
    }

    /**
     * Rotates the device's egress IP ({@code POST /v1/devices/{id}/rotate-ip}). With {@code wait} returns once
     * the gateway confirmed a different IP through the device's what-is-my-IP probe, and throws
     * {@link RotationFailedException} when it ended {@code failed} or {@code timeout} (the device keeps serving),
     * or {@link OperationTimeoutException} when {@code timeout} passed first. Without {@code wait} returns the
     * queued operation at once (follow it with {@link Operations#await}).
     *
     * @throws RotationNotAllowedException the caller does not hold the device's only active lease
     * @throws RotationInProgressException the device is rotating already
     * @throws RotationTooSoonException the device rotated too recently ({@link RotationTooSoonException#retryAfter()})
     * @throws DeviceOfflineException the device's agent is not connected
     */
    public OperationBody rotateIp(boolean wait, Duration timeout) {
        if (!wait) {
            return transport.call("POST", "/v1/devices/" + id() + "/rotate-ip", Map.of("wait", false), OPERATION);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long serverWait = Math.max(1, Math.min(SERVER_WAIT_MAX_S, Math.min(timeout.toSeconds(), transport.timeout().toSeconds() - 2)));
        OperationBody op = transport.call("POST", "/v1/devices/" + id() + "/rotate-ip", Map.of("wait", true, "timeout", serverWait), OPERATION);
        if (!op.finished()) {
            op = new Operations(transport).await(op.operationId().toString(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        if (!"succeeded".equals(op.status())) {
            throw new RotationFailedException(op);
        }
        return op;
    }

    /** The egress IPs this device had during the caller's leases, newest first ({@code GET /v1/devices/{id}/ips}). */
    public List<EgressIpBody> ips() {
        return transport.call("GET", "/v1/devices/" + id() + "/ips", null, IPS);
    }

    @Override
    public String toString() {
        return "Device[id=" + id() + ", region=" + region() + ", carrier=" + carrier() + ", currentEgressIp=" + currentEgressIp()
                + ", proxy=" + proxy + "]";
    }
}
