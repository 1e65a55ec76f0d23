package com.aimlib.sdk;

import com.aimlib.protocol.ExtensionBody;
import java.time.Instant;
import java.util.List;

/** An uploaded Chrome extension ({@code /v1/extensions}) as the server validated it. */
public final class Extension {
    private final ExtensionBody body;

    Extension(ExtensionBody body) {
        this.body = body;
    }

    public String id() {
        return body.id().toString();
    }

    public String name() {
        return body.name();
    }

    public String version() {
        return body.version();
    }

    public List<String> permissions() {
        return body.permissions();
    }

    public List<String> hostPermissions() {
        return body.hostPermissions();
    }

    public long sizeBytes() {
        return body.sizeBytes();
    }

    public int fileCount() {
        return body.fileCount();
    }

    public Instant createdAt() {
        return body.createdAt();
    }

    @Override
    public String toString() {
        return "Extension[id=" + id() + ", name=" + name() + ", version=" + version() + "]";
    }
}
