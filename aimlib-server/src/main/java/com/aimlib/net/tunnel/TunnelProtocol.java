package com.aimlib.net.tunnel;

import io.netty.util.AsciiString;

/**
 * The wire contract between the gateway's tunnel endpoint and the device agent.
 *
 * <p>The agent dials the gateway and sends {@code GET /tunnel/v1} with {@code Upgrade: aimlib-tunnel/1},
 * {@code Authorization: Bearer <agent token>} and {@code Aimlib-Device: <device id>}; the gateway answers
 * {@code 101} and the connection speaks HTTP/2 with the roles reversed: the gateway is the client. Each
 * proxied connection is one RFC 9113 §8.5 {@code CONNECT} stream; the agent answers {@code :status 200} once
 * connected, or an error status with an {@code aimlib-reason} header. Control streams ({@code GET
 * /agent/v1/status}, {@code POST /agent/v1/rotate}, {@code GET /agent/v1/health}) carry small JSON
 * answers.
 */
public final class TunnelProtocol {
    public static final String PATH = "/tunnel/v1";
    public static final String UPGRADE = "aimlib-tunnel/1";
    public static final String DEVICE_HEADER = "Aimlib-Device";
    public static final AsciiString REASON = AsciiString.cached("aimlib-reason");
    public static final String STATUS_PATH = "/agent/v1/status";
    public static final String ROTATE_PATH = "/agent/v1/rotate";
    /**
     * {@code GET}: the device's health — what its health command printed (signal, network type, battery,
     * temperature, {@code probe_error}), {@code egress_ok} (a fresh what-is-my-IP probe from the binding succeeded;
     * null while rotating) and {@code egress_ip}.
     */
    public static final String HEALTH_PATH = "/agent/v1/health";

    /** Values of the {@code aimlib-reason} header on a refused CONNECT. */
    public static final String REASON_DNS = "dns";
    public static final String REASON_REFUSED = "refused";
    public static final String REASON_UNREACHABLE = "unreachable";
    public static final String REASON_ROTATING = "rotating";
    public static final String REASON_BAD_REQUEST = "bad-request";
    public static final String REASON_FAILED = "failed";
    /** The agent's egress policy does not let customers reach this address (loopback, private, its own host…). */
    public static final String REASON_FORBIDDEN = "forbidden";

    private TunnelProtocol() {
    }
}
