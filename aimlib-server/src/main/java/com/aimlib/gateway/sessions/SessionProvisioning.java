package com.aimlib.gateway.sessions;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Response;
import com.aimlib.protocol.ErrorBody;
import java.util.LinkedHashMap;
import java.util.Map;

/** The relay's 425: the envelope plus {@code "retry_after": "5"}, and a {@code Retry-After: 5} header. */
public final class SessionProvisioning extends ApiException {
    public SessionProvisioning() {
        super(425, new ErrorBody(ErrorCode.SESSION_PROVISIONING, "session is still provisioning"), Map.of("Retry-After", "5"));
    }

    @Override
    public Response asResponse() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", body().error());
        body.put("message", body().message());
        body.put("retry_after", "5");
        return new Response(status(), body, headers());
    }
}
