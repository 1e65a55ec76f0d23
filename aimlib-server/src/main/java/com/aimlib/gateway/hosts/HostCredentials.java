package com.aimlib.gateway.hosts;

import com.aimlib.protocol.host.HostApi;
import com.aimlib.store.Database;
import com.aimlib.store.Secrets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Browser host credentials (issue 12): one per host, minted through the operator API, shown once, stored as the
 * SHA-256 of the token (tokens carry 240 random bits, as API keys do) with a short prefix for listings. The credential
 * and the host share one row of {@code browser_hosts}, so the host's id is known from the moment it is minted. Blocking.
 */
public final class HostCredentials {
    private final Jdbi jdbi;

    public HostCredentials(Database db) {
        this.jdbi = db.jdbi();
    }

    /** A host as its credential names it. */
    public record HostPrincipal(UUID id, String name, String region) {
    }

    /** A freshly minted credential: the only time its token exists on the gateway. */
    public record Minted(UUID id, String name, String region, String token, String prefix, Instant createdAt) {
        @Override
        public String toString() {
            return "Minted[" + id + " " + name + " " + prefix + "…]";
        }
    }

    /** Mints the credential of a new host; empty when a host of that name exists already. */
    public Optional<Minted> mint(String name, String region) {
        String token = HostApi.TOKEN_PREFIX + Secrets.randomAlphanumeric(40);
        String prefix = token.substring(0, HostApi.TOKEN_PREFIX.length() + 6);
        UUID id = UUID.randomUUID();
        return jdbi.withHandle(h -> h.createQuery("""
                        INSERT INTO browser_hosts (id, name, region, address, capacity, status, last_heartbeat_at, token_hash, token_prefix)
                        VALUES (:id, :name, :region, '', 0, 'down', now(), :hash, :prefix)
                        ON CONFLICT (name) DO NOTHING RETURNING created_at""")
                .bind("id", id).bind("name", name).bind("region", region).bind("hash", Secrets.hash(token)).bind("prefix", prefix)
                .mapTo(java.sql.Timestamp.class).findOne()
                .map(at -> new Minted(id, name, region, token, prefix, at.toInstant())));
    }

    /** Marks the host's credential revoked (its token hash is dropped); false when the host has no live credential. */
    public boolean revoke(UUID hostId) {
        return jdbi.withHandle(h -> h.createUpdate("""
                        UPDATE browser_hosts SET token_hash = NULL, credential_revoked_at = now(), status = 'down'
                        WHERE id = :id AND token_hash IS NOT NULL""")
                .bind("id", hostId).execute()) == 1;
    }

    /** Whether a host of that id exists (a credential revoked twice is 404 only when there is no such host). */
    public boolean exists(UUID hostId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM browser_hosts WHERE id = :id").bind("id", hostId)
                .mapTo(Integer.class).one()) > 0;
    }

    /** The host whose live credential {@code token} is; empty for an unknown or revoked one. */
    public Optional<HostPrincipal> authenticate(String token) {
        if (token == null || !token.startsWith(HostApi.TOKEN_PREFIX)) {
            return Optional.empty();
        }
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT id, name, region FROM browser_hosts WHERE token_hash = :hash AND credential_revoked_at IS NULL""")
                .bind("hash", Secrets.hash(token))
                .map((rs, ctx) -> new HostPrincipal(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("region")))
                .findOne());
    }
}
