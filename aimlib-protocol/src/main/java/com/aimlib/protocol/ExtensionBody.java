package com.aimlib.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An uploaded Chrome extension (issue 14), as validated: what its manifest declares and how big it is. */
@JsonPropertyOrder({"id", "name", "version", "manifest_version", "permissions", "host_permissions", "size_bytes", "file_count", "created_at"})
public record ExtensionBody(
        @JsonProperty("id") UUID id,
        @JsonProperty("name") String name,
        @JsonProperty("version") String version,
        @JsonProperty("manifest_version") int manifestVersion,
        @JsonProperty("permissions") List<String> permissions,
        @JsonProperty("host_permissions") List<String> hostPermissions,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("file_count") int fileCount,
        @JsonProperty("created_at") Instant createdAt) {
}
