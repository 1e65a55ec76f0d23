package com.aimlib.sdk;

/** No browser capacity: a device or customer session cap (HTTP 429, thrown at once) or no browser host in the region (HTTP 503, thrown after the bounded retries); code {@code capacity_unavailable}. */
public class CapacityException extends AimlibException {
    public CapacityException(String message) {
        super(message);
    }

    public CapacityException(String message, int status, String code) {
        super(message, status, code);
    }
}
