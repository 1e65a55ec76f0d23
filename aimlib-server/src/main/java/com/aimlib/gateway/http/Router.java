package com.aimlib.gateway.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A route table: method + path template ({@code /v1/devices/{id}/browser}) to a handler. Templates
 * match whole segments; a {@code {name}} segment binds one segment, which may be empty.
 */
public final class Router {

    /** Handles a request on the event loop and owns the response (WebSocket upgrades, streaming). Must not block. */
    @FunctionalInterface
    public interface RawHandler {
        void handle(ChannelHandlerContext ctx, FullHttpRequest request, Map<String, String> params);
    }

    /** One entry of the table: {@code handler} for ordinary routes, {@code raw} for event-loop ones. */
    public record Route(HttpMethod method, String template, String[] segments, Handler handler, RawHandler raw) {
    }

    /** The outcome of a lookup: a route with its bound parameters, or the methods the path allows. */
    public record Match(Route route, Map<String, String> params, Set<HttpMethod> allowed) {
        public boolean found() {
            return route != null;
        }
    }

    private final List<Route> routes = new ArrayList<>();

    public Router get(String template, Handler handler) {
        return add(HttpMethod.GET, template, handler);
    }

    public Router post(String template, Handler handler) {
        return add(HttpMethod.POST, template, handler);
    }

    public Router put(String template, Handler handler) {
        return add(HttpMethod.PUT, template, handler);
    }

    public Router patch(String template, Handler handler) {
        return add(HttpMethod.PATCH, template, handler);
    }

    public Router delete(String template, Handler handler) {
        return add(HttpMethod.DELETE, template, handler);
    }

    public Router add(HttpMethod method, String template, Handler handler) {
        routes.add(new Route(method, template, split(template), handler, null));
        return this;
    }

    public Router raw(HttpMethod method, String template, RawHandler handler) {
        routes.add(new Route(method, template, split(template), null, handler));
        return this;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }

    public Match match(HttpMethod method, String path) {
        String[] parts = split(path);
        Set<HttpMethod> allowed = new LinkedHashSet<>();
        for (Route route : routes) {
            Map<String, String> params = bind(route.segments(), parts);
            if (params == null) {
                continue;
            }
            if (route.method().equals(method)) {
                return new Match(route, params, Set.of());
            }
            allowed.add(route.method());
        }
        return new Match(null, Map.of(), allowed);
    }

    private static Map<String, String> bind(String[] template, String[] path) {
        if (template.length != path.length) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.length() > 2 && t.charAt(0) == '{' && t.charAt(t.length() - 1) == '}') {
                // An empty segment binds too ("/v1/devices//browser"): the handler answers it like any
                // other id that is not a UUID (400 "bad id"), not as an unknown route.
                if (params == null) {
                    params = new LinkedHashMap<>(4);
                }
                params.put(t.substring(1, t.length() - 1), path[i]);
            } else if (!t.equals(path[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }

    /** Splits on '/', ignoring one trailing slash, so {@code /a/b/} and {@code /a/b} are the same path. */
    static String[] split(String path) {
        String p = path;
        if (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }
}
