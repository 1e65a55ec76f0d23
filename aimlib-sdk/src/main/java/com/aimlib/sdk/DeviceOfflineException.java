package com.aimlib.sdk;

/** {@code device_offline} (409): the device's agent is not connected, so it cannot rotate now. */
public class DeviceOfflineException extends AimlibException {
    public DeviceOfflineException(String message, int status, String code) {
        super(message, status, code);
    }
}
