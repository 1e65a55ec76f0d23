package com.aimlib.sdk;

import com.aimlib.protocol.ContextBody;
import java.time.Instant;
import java.util.Map;

/** A saved login ({@code /v1/contexts}): a session's cookies and storage, and the profile it was saved with. */
public final class Context {
    private final ContextBody body;

    Context(ContextBody body) {
        this.body = body;
    }

    public String id() {
        return body.id().toString();
    }

    public String name() {
        return body.name();
    }

    public long sizeBytes() {
        return body.sizeBytes();
    }

    /** The profile a session started from this context presents. */
    public Map<String, Object> resolvedProfile() {
        return body.resolvedProfile();
    }

    public String sourceSessionId() {
        return body.sourceSessionId() == null ? null : body.sourceSessionId().toString();
    }

    public Instant createdAt() {
        return body.createdAt();
    }

    public Instant updatedAt() {
        return body.updatedAt();
    }

    @Override
    public String toString() {
        return "Context[id=" + id() + ", name=" + name() + ", sizeBytes=" + sizeBytes() + "]";
    }
}
