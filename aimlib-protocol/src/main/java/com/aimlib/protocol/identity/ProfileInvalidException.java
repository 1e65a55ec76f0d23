package com.aimlib.protocol.identity;

/** A profile value of the wrong type or an impossible one; the message names the key ({@code profile_invalid}). */
public final class ProfileInvalidException extends IllegalArgumentException {
    private final String key;

    public ProfileInvalidException(String key, String message) {
        super(key + ": " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
