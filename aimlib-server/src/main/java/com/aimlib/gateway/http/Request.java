package com.aimlib.gateway.http;

import com.aimlib.protocol.ErrorCode;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One HTTP request as a handler sees it: fully read, path parameters bound. */
public record Request(
        HttpMethod method,
        String path,
        Map<String, String> pathParams,
        Map<String, List<String>> query,
        HttpHeaders headers,
        byte[] body,
        InetSocketAddress remote,
        Object principal) {

    public String header(String name) {
        return headers.get(name);
    }

    public String param(String name) {
        return pathParams.get(name);
    }

    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The path parameter as a UUID, or the documented 400 {@code {"error":"bad id"}}. */
    public UUID uuidParam(String name) {
        UUID id = Uuids.parseOrNull(pathParams.get(name));
        if (id == null) {
            throw ApiException.shortForm(400, "bad id");
        }
        return id;
    }

    /**
     * The body as a JSON object; an empty body is {@code {}}; anything else, including a body that is not
     * strictly UTF-8 (JSON's only encoding), is a 400 in the envelope.
     */
    public JsonNode jsonObject() {
        if (body.length == 0) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!StrictUtf8.isValid(body)) {
            throw new ApiException(400, ErrorCode.INVALID_JSON, "request body is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, ErrorCode.INVALID_JSON, "request body is not valid JSON");
        } catch (java.io.IOException e) {
            throw new ApiException(400, ErrorCode.INVALID_JSON, "request body is not valid JSON");
        }
        if (node == null || node.isMissingNode()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject()) {
            throw new ApiException(400, ErrorCode.INVALID_JSON, "request body must be a JSON object");
        }
        return node;
    }

    /** The authenticated caller attached by an auth filter, cast to its type. */
    @SuppressWarnings("unchecked")
    public <T> T principal(Class<T> type) {
        if (!type.isInstance(principal)) {
            throw ApiException.unauthorized();
        }
        return (T) principal;
    }

    public Request withPrincipal(Object p) {
        return new Request(method, path, pathParams, query, headers, body, remote, p);
    }
}
