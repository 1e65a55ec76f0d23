package com.aimlib.gateway.hosts;

import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.host.BootExtras;
import com.aimlib.protocol.host.BootOrder;
import com.aimlib.protocol.host.GatewayLink;
import com.aimlib.protocol.host.HostApi;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.protocol.host.SavedState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A browser host on another machine as the gateway sees it (issue 12): each order is a POST to the host's API
 * ({@code <api>/host-api/v1/sessions/{id}/boot|resume|restart|stop}) with {@code Authorization: Bearer <api secret>}, sent
 * on a virtual thread (calls return at once, as {@link HostLink} wants), retried on a transport failure or a 5xx. A
 * boot the host never took is reported failed; a stop it never took is ended by the reaper's teardown timeout.
 * Saved contexts and extensions travel in the order (base64 in its JSON) and {@link #saveState} fetches the context
 * zip from the host; recordings do not ({@link #records} false: the host would write the files on its own disk).
 */
public final class RemoteHostLink implements HostLink {
    private static final Logger log = LoggerFactory.getLogger(RemoteHostLink.class);
    private static final int ATTEMPTS = 3;

    private final UUID hostId;
    private final URI api;
    private final String secret;
    private final GatewayLink gateway;
    private final Function<UUID, String> relaySecrets;
    private final HttpClient http;
    private final ExecutorService work;

    RemoteHostLink(UUID hostId, URI api, String secret, GatewayLink gateway, Function<UUID, String> relaySecrets, HttpClient http,
                   ExecutorService work) {
        this.hostId = hostId;
        this.api = api;
        this.secret = secret;
        this.gateway = gateway;
        this.relaySecrets = relaySecrets;
        this.http = http;
        this.work = work;
    }

    URI api() {
        return api;
    }

    @Override
    public void boot(BootOrder order) {
        order("boot", order);
    }

    @Override
    public void resume(BootOrder order) {
        order("resume", order);
    }

    @Override
    public void restart(BootOrder order) {
        order("restart", order);
    }

    @Override
    public void stop(UUID sessionId) {
        send("sessions/" + sessionId + "/stop", "{}", () -> log.warn("stop order not delivered host={} session={}", hostId, sessionId));
    }

    private void order(String verb, BootOrder order) {
        order(verb, order, BootExtras.NONE);
    }

    private void order(String verb, BootOrder order, BootExtras extras) {
        String body;
        try {
            body = Json.MAPPER.writeValueAsString(HostApi.Order.of(order, relaySecrets.apply(order.sessionId()), extras));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        send("sessions/" + order.sessionId() + "/" + verb, body, () -> gateway.failed(order.sessionId(), "browser host unreachable"));
    }

    private void send(String path, String body, Runnable undelivered) {
        try {
            work.execute(() -> {
                if (!deliver(path, body)) {
                    undelivered.run();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("gateway shutting down; host order dropped host={}", hostId);
        }
    }

    /** POSTs one order; true once the host took it (2xx). */
    boolean deliver(String path, String body) {
        HttpRequest req = HttpRequest.newBuilder(api.resolve(HostApi.ORDERS + "/" + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + secret).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 == 2) {
                    return true;
                }
                if (res.statusCode() < 500 || attempt >= ATTEMPTS) {
                    log.warn("host refused an order host={} path={} status={}", hostId, path, res.statusCode());
                    return false;
                }
            } catch (IOException e) {
                if (attempt >= ATTEMPTS) {
                    log.warn("host unreachable host={} path={} cause={}", hostId, path, e.toString());
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            try {
                Thread.sleep(200L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    @Override
    public void boot(BootOrder order, BootExtras extras) {
        order("boot", order, extras);
    }

    @Override
    public void restart(BootOrder order, BootExtras extras) {
        order("restart", order, extras);
    }

    @Override
    public boolean savesState() {
        return true;
    }

    @Override
    public boolean records() {
        return false;
    }

    /** Asks the host for the session's saved state (blocking); {@link SavedState.TooLarge} when over {@code maxBytes}. */
    @Override
    public byte[] saveState(UUID sessionId, boolean stop, long maxBytes) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(api.resolve(HostApi.ORDERS + "/sessions/" + sessionId + "/save-state"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + secret).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(new HostApi.SaveState(stop, maxBytes)))).build();
        HttpResponse<byte[]> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (res.statusCode() == 200) {
            return res.body();
        }
        if (res.statusCode() == 413) {
            throw new SavedState.TooLarge(maxBytes);
        }
        throw new IOException("host answered " + res.statusCode() + " to save-state");
    }

    @Override
    public String toString() {
        return "RemoteHostLink[" + hostId + " " + api + "]";
    }
}
