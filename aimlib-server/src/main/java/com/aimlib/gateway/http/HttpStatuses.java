package com.aimlib.gateway.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Status lines with RFC 9110's reason phrases. Netty 4.2 still names 425 after WebDAV's withdrawn "Unordered
 * Collection"; RFC 8470 (and 9110) made it "Too Early", which is what the relay's session_provisioning means.
 */
public final class HttpStatuses {
    public static final HttpResponseStatus TOO_EARLY = new HttpResponseStatus(425, "Too Early");

    private HttpStatuses() {
    }

    public static HttpResponseStatus of(int code) {
        return code == 425 ? TOO_EARLY : HttpResponseStatus.valueOf(code);
    }
}
