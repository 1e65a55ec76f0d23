package com.aimlib.gateway.hosts;

import com.aimlib.protocol.host.GatewayLink;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;

/**
 * Links to the browser hosts on other machines, built from their {@code browser_hosts} rows (API base URL and the
 * sealed API secret they left at registration), so every gateway replica reaches every host, not only the replica
 * that took the registration. A row is re-read at most every {@link #FRESH} (a re-registered host's new secret is
 * picked up within that). Blocking (a database read on a cache miss).
 */
public final class RemoteHosts implements Function<UUID, HostLink> {
    static final Duration FRESH = Duration.ofSeconds(2);

    private final Jdbi jdbi;
    private final SecretBox box;
    private final GatewayLink gateway;
    private final Function<UUID, String> relaySecrets;
    private final ExecutorService work;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
    private final Map<UUID, Entry> cache = new ConcurrentHashMap<>();

    private record Entry(byte[] secretEnc, String api, RemoteHostLink link, long readAt) {
    }

    public RemoteHosts(Database db, SecretBox box, GatewayLink gateway, Function<UUID, String> relaySecrets, ExecutorService work) {
        this.jdbi = db.jdbi();
        this.box = box;
        this.gateway = gateway;
        this.relaySecrets = relaySecrets;
        this.work = work;
    }

    @Override
    public HostLink apply(UUID hostId) {
        Entry e = cache.get(hostId);
        if (e != null && System.nanoTime() - e.readAt < FRESH.toNanos()) {
            return e.link;
        }
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("SELECT api_url, api_secret_enc FROM browser_hosts WHERE id = :id")
                .bind("id", hostId).mapToMap().findOne().orElse(Map.of()));
        String api = (String) row.get("api_url");
        byte[] enc = (byte[]) row.get("api_secret_enc");
        if (api == null || enc == null) {
            cache.remove(hostId);
            return null;
        }
        RemoteHostLink link = e != null && e.api.equals(api) && Arrays.equals(e.secretEnc, enc) ? e.link
                : new RemoteHostLink(hostId, URI.create(api), box.open(enc), gateway, relaySecrets, http, work);
        cache.put(hostId, new Entry(enc, api, link, System.nanoTime()));
        return link;
    }
}
