package com.aimlib.sdk;

/**
 * The base of every exception the SDK throws: an API error (with its HTTP status and error code), a
 * transport failure, a missing API key or a device that is not leased. Messages never carry an API key,
 * a connect token or a proxy password.
 */
public class AimlibException extends RuntimeException {
    private final int status;
    private final String code;

    public AimlibException(String message) {
        this(message, 0, null, null);
    }

    public AimlibException(String message, Throwable cause) {
        this(message, 0, null, cause);
    }

    public AimlibException(String message, int status, String code) {
        this(message, status, code, null);
    }

    public AimlibException(String message, int status, String code, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status of the API answer, or 0 when the error did not come from an API answer. */
    public int status() {
        return status;
    }

    /** The answer's {@code error} field, or null (no answer, or no parseable body). */
    public String code() {
        return code;
    }
}
