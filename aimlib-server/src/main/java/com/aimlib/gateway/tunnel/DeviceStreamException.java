package com.aimlib.gateway.tunnel;

/** Why a stream through a device could not be opened. */
public final class DeviceStreamException extends RuntimeException {

    /** The reasons a proxy front maps to its own protocol's reply codes. */
    public enum Reason {
        /** No agent connection for the device. */
        DEVICE_OFFLINE,
        /** The device is changing its IP; new streams are refused until it is done. */
        ROTATING,
        /** The device could not resolve the host name. */
        HOST_NOT_FOUND,
        /** The target refused the connection. */
        CONNECTION_REFUSED,
        /** The target or network was unreachable, or the connect timed out. */
        UNREACHABLE,
        /** The device's egress policy refuses the target address. */
        EGRESS_FORBIDDEN,
        /** Any other failure. */
        FAILED
    }

    private final Reason reason;

    public DeviceStreamException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
