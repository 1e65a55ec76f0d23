package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * Every typed error code of the {@code /v1} contract (the customer documentation's error table and
 * authentication section) and of our own API reference ({@code docs/api.md}). The short-form phrases
 * such as {@code "bad id"} or {@code "device not found"} are not codes and are not listed.
 */
public enum ErrorCode {
    UNAUTHORIZED("unauthorized"),
    FORBIDDEN("forbidden"),
    LEASE_INACTIVE("lease_inactive"),
    CAPACITY_UNAVAILABLE("capacity_unavailable"),
    DATA_CAP_EXCEEDED("data_cap_exceeded"),
    SESSION_EXPIRED("session_expired"),
    SESSION_PROVISIONING("session_provisioning"),
    PROFILE_INVALID("profile_invalid"),
    SESSION_NOT_FOUND("session_not_found"),
    HOST_UNAVAILABLE("host_unavailable"),
    INVALID_JSON("invalid_json"),
    BAD_REQUEST("bad_request"),
    NOT_FOUND("not_found"),
    METHOD_NOT_ALLOWED("method_not_allowed"),
    CONFLICT("conflict"),
    PAYLOAD_TOO_LARGE("payload_too_large"),
    RATE_LIMITED("rate_limited"),
    EGRESS_FORBIDDEN("egress_forbidden"),
    DEVICE_OFFLINE("device_offline"),
    DEVICE_ROTATING("device_rotating"),
    ROTATION_NOT_ALLOWED("rotation_not_allowed"),
    ROTATION_IN_PROGRESS("rotation_in_progress"),
    ROTATION_TOO_SOON("rotation_too_soon"),
    /** Issue 14: a saved context over the per-context size cap (413). */
    CONTEXT_TOO_LARGE("context_too_large"),
    /** Issue 14: an uploaded extension refused: not a zip or form, bad manifest, refused permission or path (400). */
    EXTENSION_INVALID("extension_invalid"),
    /** Issue 14: the customer's recordings fill its storage quota. */
    STORAGE_QUOTA_EXCEEDED("storage_quota_exceeded"),
    /** Issue 14: a live-view or inspector link whose signature does not match. */
    LINK_INVALID("link_invalid"),
    /** Issue 14: a live-view or inspector link past its expiry. */
    LINK_EXPIRED("link_expired"),
    /** An {@code Expect} header other than 100-continue (417). */
    EXPECTATION_FAILED("expectation_failed"),
    /** A request header line over the limit (431). */
    HEADER_TOO_LARGE("header_too_large"),
    /** The HTTP proxy front: request headers over the limit (431). */
    HEADERS_TOO_LARGE("headers_too_large"),
    /** {@code /readyz}: the database is unreachable (503). */
    NOT_READY("not_ready"),
    /** A live-view input event on a read-only link. */
    READ_ONLY("read_only"),
    /** No complete request head or body in time (408). */
    REQUEST_TIMEOUT("request_timeout"),
    /** A rotation waited for with {@code wait: true} failed. */
    ROTATION_FAILED("rotation_failed"),
    /** A rotation waited for with {@code wait: true} did not end in time. */
    ROTATION_TIMEOUT("rotation_timeout"),
    /** A live view of a tab that is closed or unreachable. */
    TAB_NOT_FOUND("tab_not_found"),
    /** The HTTP port holds its most connections (503). */
    TOO_MANY_CONNECTIONS("too_many_connections"),
    /** A WebSocket route asked without an upgrade (426). */
    UPGRADE_REQUIRED("upgrade_required"),
    /** A request line over the limit (414). */
    URI_TOO_LONG("uri_too_long");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears in the {@code error} field. */
    @JsonValue
    public String wire() {
        return wire;
    }

    /** The code named by an {@code error} field, or empty for an unknown code or a short-form phrase. */
    public static Optional<ErrorCode> fromWire(String error) {
        if (error == null) {
            return Optional.empty();
        }
        for (ErrorCode c : values()) {
            if (c.wire.equals(error)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
