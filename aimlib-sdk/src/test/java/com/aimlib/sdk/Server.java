package com.aimlib.sdk;

import com.aimlib.testing.BrowserFixture;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * The real server of the SDK tests (gateway, one browser host of capacity 1, device agents, PostgreSQL, all in
 * process) and its operator API; one per test JVM, since starting it is most of the tests' time. Every test
 * works on tenants of its own and leaves no session running.
 */
final class Server {
    private static Server shared;
    final BrowserFixture fx;

    private Server() throws Exception {
        fx = new BrowserFixture(1);
    }

    static synchronized Server shared() throws Exception {
        if (shared == null) {
            Server s = new Server();
            Runtime.getRuntime().addShutdownHook(new Thread(s.fx::close, "sdk-test-server-stop"));
            shared = s;
        }
        return shared;
    }

    Aimlib client(String key) {
        return Aimlib.builder().apiKey(key).baseUrl(fx.gateway.baseUrl()).build();
    }

    /** An operator call on {@code /admin/v1}; fails the test unless it succeeds. */
    String admin(String method, String path, String body) throws Exception {
        HttpResponse<String> r = fx.call(method, "/admin/v1" + path, fx.operatorKey, body);
        if (r.statusCode() / 100 != 2) {
            throw new AssertionError(method + " " + path + " -> " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** The status code of the customer's {@code GET /v1/devices/{id}/browser}, polled until {@code want} or {@code within}. */
    int awaitSessionStatus(BrowserFixture.Tenant t, int want, Duration within) throws Exception {
        Instant end = Instant.now().plus(within);
        int last;
        do {
            last = fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null).statusCode();
            if (last == want) {
                return last;
            }
            Thread.sleep(20);
        } while (Instant.now().isBefore(end));
        return last;
    }
}
