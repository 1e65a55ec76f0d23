package com.aimlib.gateway.extensions;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.host.BootExtras;
import com.aimlib.protocol.host.SafeZip;
import com.aimlib.protocol.ExtensionBody;
import com.aimlib.store.Database;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** A customer's uploaded extensions: validated, stored as a normalized zip, only ever visible to that customer. */
public final class Extensions {
    /** At most this many extensions in one session. */
    public static final int MAX_PER_SESSION = 5;
    private static final String COLUMNS = "id, name, version, manifest::text AS manifest, size_bytes, file_count, created_at";

    private final Jdbi jdbi;
    private final Clock clock;

    public Extensions(Database db, Clock clock) {
        this.jdbi = db.jdbi();
        this.clock = clock;
    }

    /** Validates the upload and stores it; the 201 body. */
    public ExtensionBody create(UUID customerId, ExtensionUpload.Files upload, String nameOverride) {
        ExtensionManifest.Validated v = ExtensionManifest.validate(upload.files());
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try {
            SafeZip.write(upload.files(), zip);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String name = nameOverride != null && !nameOverride.isBlank() ? nameOverride.strip() : upload.name() != null && !upload.name().isBlank()
                ? upload.name().strip() : v.name();
        if (name.length() > 200) {
            throw ApiException.badRequest("name must be at most 200 characters");
        }
        UUID id = UUID.randomUUID();
        byte[] archive = zip.toByteArray();
        long size = upload.files().values().stream().mapToLong(b -> b.length).sum();
        jdbi.useHandle(h -> h.createUpdate("""
                        INSERT INTO browser_extensions (id, customer_id, name, version, manifest, archive, size_bytes, file_count, created_at)
                        VALUES (:id, :c, :name, :version, CAST(:manifest AS jsonb), :archive, :size, :files, :now)""")
                .bind("id", id).bind("c", customerId).bind("name", name).bind("version", v.version())
                .bind("manifest", v.manifest().toString()).bind("archive", archive).bind("size", size)
                .bind("files", upload.files().size()).bind("now", Timestamp.from(clock.instant())).execute());
        return get(customerId, id);
    }

    public List<ExtensionBody> list(UUID customerId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM browser_extensions WHERE customer_id = :c ORDER BY created_at, id")
                .bind("c", customerId).map((rs, ctx) -> body(rs)).list());
    }

    public ExtensionBody get(UUID customerId, UUID id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM browser_extensions WHERE customer_id = :c AND id = :id")
                .bind("c", customerId).bind("id", id).map((rs, ctx) -> body(rs)).findOne()).orElseThrow(Extensions::notFound);
    }

    public void delete(UUID customerId, UUID id) {
        int n = jdbi.withHandle(h -> h.createUpdate("DELETE FROM browser_extensions WHERE customer_id = :c AND id = :id")
                .bind("c", customerId).bind("id", id).execute());
        if (n == 0) {
            throw notFound();
        }
    }

    /** The archives of the caller's extensions named at create, in order; another customer's id is not found. */
    public List<BootExtras.Extension> archives(UUID customerId, List<UUID> ids) {
        if (ids.size() > MAX_PER_SESSION) {
            throw ApiException.badRequest("extensions must name at most " + MAX_PER_SESSION + " extensions");
        }
        List<BootExtras.Extension> out = new ArrayList<>();
        for (UUID id : ids) {
            byte[] archive = jdbi.withHandle(h -> h.createQuery("SELECT archive FROM browser_extensions WHERE customer_id = :c AND id = :id")
                    .bind("c", customerId).bind("id", id).mapTo(byte[].class).findOne()).orElseThrow(() -> notFound(id));
            out.add(new BootExtras.Extension(id, archive));
        }
        return out;
    }

    private static ExtensionBody body(ResultSet rs) throws SQLException {
        JsonNode m;
        try {
            m = Json.MAPPER.readTree(rs.getString("manifest"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<String> perms = new ArrayList<>();
        m.path("permissions").forEach(p -> perms.add(p.asText()));
        m.path("optional_permissions").forEach(p -> perms.add(p.asText()));
        List<String> hosts = new ArrayList<>();
        m.path("host_permissions").forEach(p -> hosts.add(p.asText()));
        m.path("optional_host_permissions").forEach(p -> hosts.add(p.asText()));
        return new ExtensionBody(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("version"), 3, perms, hosts,
                rs.getLong("size_bytes"), rs.getInt("file_count"), rs.getTimestamp("created_at").toInstant().truncatedTo(ChronoUnit.SECONDS));
    }

    static ApiException notFound() {
        return new ApiException(404, ErrorCode.NOT_FOUND, "extension not found");
    }

    private static ApiException notFound(UUID id) {
        return new ApiException(404, ErrorCode.NOT_FOUND, "extension " + id + " not found");
    }

    /** The delete answer. */
    public static Map<String, String> deleted() {
        return Map.of("status", "deleted");
    }
}
