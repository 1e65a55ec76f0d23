package com.aimlib.sdk;

import java.time.Duration;

/** {@code rotation_too_soon} (429): the device rotated too recently; {@link #retryAfter()} says when it may again. */
public class RotationTooSoonException extends AimlibException {
    private final Duration retryAfter;

    public RotationTooSoonException(String message, int status, String code, Duration retryAfter) {
        super(message, status, code);
        this.retryAfter = retryAfter;
    }

    /** The server's {@code Retry-After}, or null when it gave none. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
