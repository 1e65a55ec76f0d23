package com.aimlib.gateway.proxy;

import com.aimlib.gateway.tunnel.DeviceStreamException;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;

/**
 * Why a proxied connection was not made, with the reply each front gives: a SOCKS5 status (RFC 1928
 * §6) and an HTTP status with an error body in the API's envelope.
 */
enum Refusal {
    BAD_CREDENTIALS(Socks5CommandStatus.FAILURE, 407, "proxy_auth_required", "missing or wrong proxy credentials"),
    LEASE_INACTIVE(Socks5CommandStatus.FORBIDDEN, 403, "lease_inactive", "the lease of this proxy is not active"),
    CAP_REACHED(Socks5CommandStatus.FORBIDDEN, 403, "data_cap_exceeded", "device monthly cellular cap reached"),
    DEVICE_OFFLINE(Socks5CommandStatus.NETWORK_UNREACHABLE, 502, "device_offline", "device offline"),
    ROTATING(Socks5CommandStatus.NETWORK_UNREACHABLE, 503, "device_rotating", "device is changing its IP, retry in a few seconds"),
    HOST_NOT_FOUND(Socks5CommandStatus.HOST_UNREACHABLE, 502, "host_not_found", "the device could not resolve the host name"),
    CONNECTION_REFUSED(Socks5CommandStatus.CONNECTION_REFUSED, 502, "connection_refused", "the target refused the connection"),
    UNREACHABLE(Socks5CommandStatus.HOST_UNREACHABLE, 504, "target_unreachable", "the target is unreachable or did not answer in time"),
    EGRESS_FORBIDDEN(Socks5CommandStatus.FORBIDDEN, 403, "egress_forbidden",
            "the device does not connect to loopback, private, link-local or its own host's addresses"),
    TIMEOUT(Socks5CommandStatus.HOST_UNREACHABLE, 504, "device_timeout", "the device did not open the stream in time"),
    FAILED(Socks5CommandStatus.FAILURE, 502, "bad_gateway", "the device could not open the stream"),
    /** The credential store could not be asked (database trouble): not the client's fault. */
    CHECK_FAILED(Socks5CommandStatus.FAILURE, 503, "server_error", "proxy credentials could not be checked, retry");

    final Socks5CommandStatus socksStatus;
    final int httpStatus;
    final String code;
    final String message;

    Refusal(Socks5CommandStatus socksStatus, int httpStatus, String code, String message) {
        this.socksStatus = socksStatus;
        this.httpStatus = httpStatus;
        this.code = code;
        this.message = message;
    }

    static Refusal of(Throwable failure) {
        Throwable t = failure;
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return TIMEOUT;
        }
        if (!(t instanceof DeviceStreamException e)) {
            return FAILED;
        }
        return switch (e.reason()) {
            case DEVICE_OFFLINE -> DEVICE_OFFLINE;
            case ROTATING -> ROTATING;
            case HOST_NOT_FOUND -> HOST_NOT_FOUND;
            case CONNECTION_REFUSED -> CONNECTION_REFUSED;
            case UNREACHABLE -> UNREACHABLE;
            case EGRESS_FORBIDDEN -> EGRESS_FORBIDDEN;
            case FAILED -> FAILED;
        };
    }
}
