package com.aimlib.sdk;

/** No active lease with a proxy on the device, or the customer or lease is not active; code {@code lease_inactive}. */
public class LeaseInactiveException extends AimlibException {
    public LeaseInactiveException(String message) {
        super(message);
    }

    public LeaseInactiveException(String message, int status, String code) {
        super(message, status, code);
    }
}
