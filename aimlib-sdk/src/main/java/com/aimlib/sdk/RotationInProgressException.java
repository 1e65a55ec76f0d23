package com.aimlib.sdk;

/** {@code rotation_in_progress} (409): the device is rotating already; follow that operation instead. */
public class RotationInProgressException extends AimlibException {
    public RotationInProgressException(String message, int status, String code) {
        super(message, status, code);
    }
}
