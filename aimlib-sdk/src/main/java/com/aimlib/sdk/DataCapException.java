package com.aimlib.sdk;

/** The device's monthly cellular data cap is exhausted; code {@code data_cap_exceeded}. */
public class DataCapException extends AimlibException {
    public DataCapException(String message) {
        super(message);
    }

    public DataCapException(String message, int status, String code) {
        super(message, status, code);
    }
}
