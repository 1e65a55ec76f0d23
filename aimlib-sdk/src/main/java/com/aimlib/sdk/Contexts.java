package com.aimlib.sdk;

import com.aimlib.protocol.ContextBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import java.util.Map;

/** Saved logins ({@code /v1/contexts}): list, read, delete. Save one with {@link BrowserSession#stopAndPersist} or {@link BrowserSession#saveContext}. */
public final class Contexts {
    static final TypeReference<ContextBody> ONE = new TypeReference<>() {
    };
    private static final TypeReference<List<ContextBody>> LIST = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, Object>> ANY = new TypeReference<>() {
    };
    private final Transport transport;

    Contexts(Transport transport) {
        this.transport = transport;
    }

    /** Your contexts, oldest first. */
    public List<Context> list() {
        return transport.call("GET", "/v1/contexts", null, LIST).stream().map(Context::new).toList();
    }

    public Context get(String id) {
        return new Context(transport.call("GET", "/v1/contexts/" + id, null, ONE));
    }

    public void delete(String id) {
        transport.call("DELETE", "/v1/contexts/" + id, null, ANY);
    }
}
