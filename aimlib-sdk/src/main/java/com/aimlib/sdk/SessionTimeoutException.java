package com.aimlib.sdk;

/** The session did not become ready within the wait's timeout, or the relay still answered {@code session_provisioning}. */
public class SessionTimeoutException extends AimlibException {
    public SessionTimeoutException(String message) {
        super(message);
    }

    public SessionTimeoutException(String message, int status, String code) {
        super(message, status, code);
    }
}
