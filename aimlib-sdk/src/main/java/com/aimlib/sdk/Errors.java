package com.aimlib.sdk;

import com.aimlib.protocol.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The error code → exception table of the customer documentation ("SDK Exception Mapping"):
 * {@code capacity_unavailable} → {@link CapacityException}, {@code lease_inactive} →
 * {@link LeaseInactiveException}, {@code data_cap_exceeded} → {@link DataCapException},
 * {@code session_expired} → {@link SessionExpiredException}, {@code session_provisioning} →
 * {@link SessionTimeoutException}; and the rotation codes: {@code device_offline}, {@code rotation_not_allowed},
 * {@code rotation_in_progress}, {@code rotation_too_soon} (with its {@code Retry-After}); anything else → {@link AimlibException} carrying the response text, or
 * {@code HTTP <status>} when the body is empty.
 */
final class Errors {
    private static final int MAX_TEXT = 2000;

    private Errors() {
    }

    /** The {@code error} field of a JSON object body, or null. */
    static String code(ObjectMapper mapper, String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode n = mapper.readTree(body);
            return n != null && n.isObject() && n.path("error").isTextual() ? n.get("error").asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    static AimlibException from(ObjectMapper mapper, int status, String body) {
        return from(mapper, status, body, null);
    }

    /** As {@link #from(ObjectMapper, int, String)}, with the answer's {@code Retry-After} (seconds) or null. */
    static AimlibException from(ObjectMapper mapper, int status, String body, java.time.Duration retryAfter) {
        String code = code(mapper, body);
        ErrorCode known = ErrorCode.fromWire(code).orElse(null);
        if (known != null) {
            String detail = detail(mapper, body, code);
            switch (known) {
                case CAPACITY_UNAVAILABLE: return new CapacityException(detail, status, code);
                case LEASE_INACTIVE: return new LeaseInactiveException(detail, status, code);
                case DATA_CAP_EXCEEDED: return new DataCapException(detail, status, code);
                case SESSION_EXPIRED: return new SessionExpiredException(detail, status, code);
                case SESSION_PROVISIONING: return new SessionTimeoutException(detail, status, code);
                case DEVICE_OFFLINE: return new DeviceOfflineException(detail, status, code);
                case ROTATION_NOT_ALLOWED: return new RotationNotAllowedException(detail, status, code);
                case ROTATION_IN_PROGRESS: return new RotationInProgressException(detail, status, code);
                case ROTATION_TOO_SOON: return new RotationTooSoonException(detail, status, code, retryAfter);
                default: break;
            }
        }
        String text = body == null || body.isBlank() ? "HTTP " + status : body.strip();
        if (text.length() > MAX_TEXT) {
            text = text.substring(0, MAX_TEXT) + "…";
        }
        return new AimlibException(text, status, code);
    }

    /** {@code code: message}, or the code alone for the short form. */
    private static String detail(ObjectMapper mapper, String body, String code) {
        try {
            JsonNode m = mapper.readTree(body).path("message");
            return m.isTextual() && !m.asText().isBlank() ? code + ": " + m.asText() : code;
        } catch (IOException e) {
            return code;
        }
    }
}
