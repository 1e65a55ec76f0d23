package com.aimlib.host;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The egress check after ready: one GET of the what-is-my-IP URL through the session's own bridge (an HTTP proxy on
 * loopback that forwards through the lease's proxy, the tunnel and the device), the body trimmed. No page load.
 */
final class EgressCheck {
    private EgressCheck() {
    }

    /** The body the probe URL answered through the bridge on {@code bridgePort}, or null on any failure. */
    static String through(int bridgePort, String probeUrl) {
        HttpClient client = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", bridgePort)))
                .connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
        try (client) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(probeUrl)).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
