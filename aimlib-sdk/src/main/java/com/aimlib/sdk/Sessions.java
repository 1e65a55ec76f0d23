package com.aimlib.sdk;

import com.aimlib.protocol.SessionInfoBody;
import com.aimlib.protocol.SessionPageBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Your browser sessions across devices ({@code GET /v1/sessions}, {@code GET /v1/sessions/{id}}; an extension of the
 * documented API). {@code status} is {@code null} (the live ones), {@code "ended"}, {@code "all"}, or a comma-separated
 * list of states ({@code "ready,active"}).
 */
public final class Sessions {
    private static final TypeReference<SessionPageBody> PAGE = new TypeReference<>() {
    };
    private static final TypeReference<SessionInfoBody> ONE = new TypeReference<>() {
    };
    private final Transport transport;

    Sessions(Transport transport) {
        this.transport = transport;
    }

    /** One page of sessions, newest first. */
    public record Page(List<SessionInfo> sessions, String nextCursor) {
    }

    /** Every live session (all pages). */
    public List<SessionInfo> list() {
        return list(null);
    }

    /** Every session in {@code status} (all pages). */
    public List<SessionInfo> list(String status) {
        List<SessionInfo> all = new ArrayList<>();
        String cursor = null;
        do {
            Page p = page(status, 100, cursor);
            all.addAll(p.sessions());
            cursor = p.nextCursor();
        } while (cursor != null);
        return all;
    }

    /** One page: at most {@code limit} (1–100) sessions after {@code cursor} (null: from the newest). */
    public Page page(String status, int limit, String cursor) {
        StringBuilder q = new StringBuilder("/v1/sessions?limit=").append(limit);
        if (status != null) {
            q.append("&status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
        }
        if (cursor != null) {
            q.append("&cursor=").append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        }
        SessionPageBody b = transport.call("GET", q.toString(), null, PAGE);
        return new Page(b.data().stream().map(SessionInfo::new).toList(), b.nextCursor());
    }

    /** One session, also after it ended (for the retention period); {@link AimlibException} 404 when it is not yours. */
    public SessionInfo get(String id) {
        return new SessionInfo(transport.call("GET", "/v1/sessions/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null, ONE));
    }
}
