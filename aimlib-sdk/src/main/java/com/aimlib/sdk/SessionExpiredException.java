package com.aimlib.sdk;

/** The session is not found or no longer connectable: code {@code session_expired}, or a readiness poll that answered 404. */
public class SessionExpiredException extends AimlibException {
    public SessionExpiredException(String message) {
        super(message);
    }

    public SessionExpiredException(String message, int status, String code) {
        super(message, status, code);
    }
}
