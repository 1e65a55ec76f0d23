package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The error envelope: {@code {"error": code, "message": detail}}, or the short form without a message
 * (for example {@code {"error": "bad id"}}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String error, String message) {
    public ErrorBody(ErrorCode error, String message) {
        this(error.wire(), message);
    }

    public static ErrorBody of(String error) {
        return new ErrorBody(error, null);
    }
}
