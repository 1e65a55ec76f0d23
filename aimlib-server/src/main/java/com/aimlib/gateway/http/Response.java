package com.aimlib.gateway.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a handler answers: a status, a body (serialised as JSON unless it is a {@link Text}) and headers. */
public record Response(int status, Object body, Map<String, String> headers) {

    /** A body sent as is, with its own content type (for example Prometheus text). */
    public record Text(String contentType, String text) {
    }

    public static Response ok(Object body) {
        return new Response(200, body, Map.of());
    }

    public static Response created(Object body) {
        return new Response(201, body, Map.of());
    }

    public static Response of(int status, Object body) {
        return new Response(status, body, Map.of());
    }

    public Response withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, body, Map.copyOf(h));
    }

    /** This response with {@code extra} headers added; a header the handler set itself wins. */
    public Response withHeaders(Map<String, String> extra) {
        Map<String, String> h = new LinkedHashMap<>(extra);
        h.putAll(headers);
        return new Response(status, body, Map.copyOf(h));
    }
}
