package com.aimlib.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks a what-is-my-IP service, from the device's binding, which address the world sees. The answer may be
 * the bare address ({@code api.ipify.org}) or JSON with an {@code ip} field. Blocking.
 */
final class EgressProbe {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EgressProbe() {
    }

    static String probe(String url, InetAddress bind, Duration timeout) throws IOException, InterruptedException {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout).proxy(ProxySelector.of(null));
        if (bind != null) {
            builder.localAddress(bind);
        }
        try (HttpClient client = builder.build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("what-is-my-IP answered " + response.statusCode());
            }
            String body = response.body().trim();
            if (body.startsWith("{")) {
                JsonNode ip = JSON.readTree(body).get("ip");
                body = ip == null ? "" : ip.asText().trim();
            }
            if (!NetUtil.isValidIpV4Address(body) && !NetUtil.isValidIpV6Address(body)) {
                throw new IOException("what-is-my-IP did not answer an address");
            }
            return body;
        }
    }
}
