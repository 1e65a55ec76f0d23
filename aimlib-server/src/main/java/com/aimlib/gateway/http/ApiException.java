package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorBody;
import com.aimlib.protocol.ErrorCode;
import java.util.Map;

/**
 * A failure that maps to exactly one documented error response. Thrown by handlers; the dispatcher
 * turns it into the envelope and never logs a stack trace for it.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final ErrorBody body;
    private final Map<String, String> headers;

    public ApiException(int status, ErrorCode error, String message) {
        this(status, new ErrorBody(error.wire(), message), Map.of());
    }

    public ApiException(int status, ErrorBody body, Map<String, String> headers) {
        super(body.error() + (body.message() == null ? "" : ": " + body.message()), null, false, false);
        this.status = status;
        this.body = body;
        this.headers = headers;
    }

    /** The short form: {@code {"error": phrase}}. */
    public static ApiException shortForm(int status, String phrase) {
        return new ApiException(status, ErrorBody.of(phrase), Map.of());
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, ErrorCode.BAD_REQUEST, message);
    }

    public static ApiException unauthorized() {
        return shortForm(401, ErrorCode.UNAUTHORIZED.wire());
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, ErrorCode.FORBIDDEN, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, ErrorCode.NOT_FOUND, message);
    }

    public static ApiException serverError() {
        return shortForm(500, "server error");
    }

    public int status() {
        return status;
    }

    public ErrorBody body() {
        return body;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The same error with {@code extra} headers added; a header this error set itself wins. */
    public ApiException withHeaders(Map<String, String> extra) {
        Map<String, String> h = new java.util.LinkedHashMap<>(extra);
        h.putAll(headers);
        return new ApiException(status, body, Map.copyOf(h));
    }

    /** This error as a response, with its headers. */
    public Response asResponse() {
        return new Response(status, body, headers);
    }
}
