package com.aimlib.sdk;

/** {@code rotation_not_allowed} (409): only the holder of the device's only active lease may rotate its IP. */
public class RotationNotAllowedException extends AimlibException {
    public RotationNotAllowedException(String message, int status, String code) {
        super(message, status, code);
    }
}
