package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Saved logins (issue 14) on the production path, with Playwright for Java over the relay: a loopback site logs the
 * browser in (an HttpOnly session cookie from its answer, a persistent cookie, localStorage, an IndexedDB record, a
 * service worker with a CacheStorage entry), the session stops with {@code persist}, and a new session started from
 * the context shows the site all of it again — with the same resolved profile. Another customer can neither see nor
 * use the context; too large is 413 with nothing saved; delete works.
 */
class SavedContextsTest {
    static BrowserFixture fx;
    static HttpServer site;
    static final List<String> cookiesSeen = new CopyOnWriteArrayList<>();
    static final long CAP = 512 * 1024;

    static final String LOGIN = """
            <html><body><script>
            (async () => {
              document.cookie = "remember=r-42; path=/; max-age=86400";
              localStorage.setItem("cart", "3 items");
              await new Promise((ok, fail) => { const r = indexedDB.open("shop", 1);
                r.onupgradeneeded = () => r.result.createObjectStore("kv");
                r.onsuccess = () => { const tx = r.result.transaction("kv", "readwrite"); tx.objectStore("kv").put("idb-token-7", "auth");
                  tx.oncomplete = ok; tx.onerror = fail; }; r.onerror = fail; });
              await navigator.serviceWorker.register("/sw.js"); await navigator.serviceWorker.ready;
              await (await caches.open("shell")).put("/offline", new Response("cached shell"));
              document.title = "logged-in";
            })();
            </script></body></html>""";

    static final String STATE = """
            (async () => {
              const idb = await new Promise(ok => { const r = indexedDB.open("shop");
                r.onsuccess = () => { try { const g = r.result.transaction("kv").objectStore("kv").get("auth"); g.onsuccess = () => ok(g.result ?? null); }
                  catch (e) { ok(null); } }; r.onerror = () => ok(null); });
              const cached = await caches.has("shell") ? await (await (await caches.open("shell")).match("/offline")).text() : null;
              return JSON.stringify({cookie: document.cookie, local: localStorage.getItem("cart"), idb,
                workers: (await navigator.serviceWorker.getRegistrations()).length, cached});
            })()""";

    @BeforeAll
    static void start(TestInfo info) throws Exception {
        fx = com.aimlib.testing.RemoteHostVariant.of(info) ? BrowserFixture.remote(4, b -> b.contextMaxBytes(CAP)) : new BrowserFixture(4, b -> b.contextMaxBytes(CAP));
        site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            String cookie = ex.getRequestHeaders().getFirst("Cookie");
            cookiesSeen.add(ex.getRemoteAddress().getAddress().getHostAddress() + " " + path + " " + (cookie == null ? "" : cookie));
            byte[] body;
            if (path.equals("/login")) {
                ex.getResponseHeaders().add("Set-Cookie", "sid=s3cr3t-session-value; Path=/; HttpOnly");
                ex.getResponseHeaders().set("Content-Type", "text/html");
                body = LOGIN.getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/sw.js")) {
                ex.getResponseHeaders().set("Content-Type", "text/javascript");
                body = "self.addEventListener('install', () => self.skipWaiting());".getBytes(StandardCharsets.UTF_8);
            } else {
                ex.getResponseHeaders().set("Content-Type", "text/html");
                body = "<html><body>account</body></html>".getBytes(StandardCharsets.UTF_8);
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        site.start();
    }

    @AfterAll
    static void stop() {
        if (site != null) {
            site.stop(0);
        }
        fx.close();
    }

    static String url(String path) {
        return "http://127.0.0.1:" + site.getAddress().getPort() + path;
    }

    static Browser connect(Playwright pw, BrowserFixture.Live s) {
        return pw.chromium().connectOverCDP("http://127.0.0.1:" + fx.gateway.httpPort() + "/cdp/" + s.id(),
                new BrowserType.ConnectOverCDPOptions().setHeaders(Map.of("Authorization", "Bearer " + s.token())));
    }

    static JsonNode state(Page page) throws Exception {
        return com.aimlib.gateway.http.Json.MAPPER.readTree((String) page.evaluate(STATE));
    }

    @Test
    void aPersistedLoginComesBackInTheNextSessionWithTheSameProfileAndOnlyForItsCustomer() throws Exception {
        BrowserFixture.Tenant a = fx.tenant();
        BrowserFixture.Tenant b = fx.tenant();
        long t00 = System.nanoTime();
        BrowserFixture.Live first = fx.ready(a, "{\"ttl\":600,\"profile\":{\"device\":\"pixel-7\",\"timezone\":\"Asia/Tokyo\"}}");
        System.out.println("measure: create without a context to ready " + (System.nanoTime() - t00) / 1_000_000 + " ms");
        JsonNode firstProfile = fx.awaitStatus(a, "ready", Duration.ofSeconds(5)).get("resolved_profile");
        try (Playwright pw = Playwright.create()) {
            Browser browser = connect(pw, first);
            Page page = browser.contexts().get(0).newPage();
            page.navigate(url("/login"));
            page.waitForFunction("document.title === 'logged-in'", null, new Page.WaitForFunctionOptions().setTimeout(30_000));
            JsonNode before = state(page);
            assertThat(before.get("local").asText()).isEqualTo("3 items");
            assertThat(before.get("idb").asText()).isEqualTo("idb-token-7");
            browser.close();
        }
        assertThat(cookiesSeen).anyMatch(s -> s.startsWith(BrowserFixture.EGRESS + " /login"));

        // Stop with persist: 200 with the documented status and the context's id, once it is saved.
        long t0 = System.nanoTime();
        HttpResponse<String> del = fx.call("DELETE", "/v1/devices/" + a.device() + "/browser", a.key(),
                "{\"persist\":true,\"context_name\":\"shop login\"}");
        long persistMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(del.statusCode()).as(del.body()).isEqualTo(200);
        JsonNode stopped = BrowserFixture.json(del);
        assertThat(stopped.get("status").asText()).isEqualTo("stopping");
        String ctx = stopped.get("context_id").asText();
        fx.awaitStatus(a, "404", Duration.ofSeconds(20));

        JsonNode listed = BrowserFixture.json(fx.call("GET", "/v1/contexts", a.key(), null));
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("id").asText()).isEqualTo(ctx);
        assertThat(listed.get(0).get("name").asText()).isEqualTo("shop login");
        assertThat(listed.get(0).get("size_bytes").asLong()).isBetween(1L, CAP);
        System.out.println("measure: persisting DELETE took " + persistMs + " ms; context " + listed.get(0).get("size_bytes").asLong() + " bytes");
        assertThat(listed.get(0).get("source_session_id").asText()).isEqualTo(first.id().toString());
        assertThat(listed.get(0).get("resolved_profile")).isEqualTo(firstProfile);

        // Encrypted at rest: none of the saved secrets or directory names is readable in the row.
        byte[] sealed = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT state_enc FROM browser_contexts WHERE id = CAST(:id AS uuid)")
                .bind("id", ctx).mapTo(byte[].class).one());
        String raw = new String(sealed, StandardCharsets.ISO_8859_1);
        assertThat(raw).doesNotContain("s3cr3t-session-value").doesNotContain("IndexedDB").doesNotContain("cookies.json");

        // Another customer: not listed, not readable, not usable, not deletable.
        assertThat(fx.call("GET", "/v1/contexts", b.key(), null).body()).isEqualTo("[]");
        HttpResponse<String> other = fx.call("GET", "/v1/contexts/" + ctx, b.key(), null);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).isEqualTo("{\"error\":\"not_found\",\"message\":\"context not found\"}");
        assertThat(fx.call("POST", "/v1/devices/" + b.device() + "/browser", b.key(), "{\"context_id\":\"" + ctx + "\"}").statusCode()).isEqualTo(404);
        assertThat(fx.call("DELETE", "/v1/contexts/" + ctx, b.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(),
                "{\"context_id\":\"" + ctx + "\",\"profile\":{\"device\":\"pixel-8\"}}").statusCode()).isEqualTo(400);

        // A new session from the context: the same phone, and the site sees the login.
        long t1 = System.nanoTime();
        BrowserFixture.Live second = fx.ready(a, "{\"ttl\":600,\"context_id\":\"" + ctx + "\"}");
        System.out.println("measure: create from the context to ready " + (System.nanoTime() - t1) / 1_000_000 + " ms");
        assertThat(fx.awaitStatus(a, "ready", Duration.ofSeconds(5)).get("resolved_profile")).isEqualTo(firstProfile);
        try (Playwright pw = Playwright.create()) {
            Browser browser = connect(pw, second);
            Page page = browser.contexts().get(0).newPage();
            page.navigate(url("/account"));
            JsonNode after = state(page);
            assertThat(after.get("cookie").asText()).contains("remember=r-42");
            assertThat(after.get("local").asText()).isEqualTo("3 items");
            assertThat(after.get("idb").asText()).isEqualTo("idb-token-7");
            assertThat(after.get("workers").asInt()).isEqualTo(1);
            assertThat(after.get("cached").asText()).isEqualTo("cached shell");
            assertThat(page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")).isEqualTo("Asia/Tokyo");
            browser.close();
        }
        // The HttpOnly session cookie (never written to disk by Chromium) reached the site from the device.
        assertThat(cookiesSeen).anyMatch(s -> s.startsWith(BrowserFixture.EGRESS + " /account ") && s.contains("sid=s3cr3t-session-value")
                && s.contains("remember=r-42"));

        // On demand, while it runs; another customer's key cannot save someone else's session.
        HttpResponse<String> other2 = fx.call("POST", "/v1/sessions/" + second.id() + "/context", b.key(), "{\"name\":\"steal\"}");
        assertThat(other2.statusCode()).isEqualTo(404);
        assertThat(other2.body()).isEqualTo("{\"error\":\"session_not_found\"}");
        HttpResponse<String> now = fx.call("POST", "/v1/sessions/" + second.id() + "/context", a.key(), "{\"name\":\"snapshot\"}");
        assertThat(now.statusCode()).as(now.body()).isEqualTo(201);
        assertThat(BrowserFixture.json(now).get("name").asText()).isEqualTo("snapshot");
        assertThat(BrowserFixture.json(fx.call("GET", "/v1/contexts", a.key(), null))).hasSize(2);

        // Delete: gone for its customer too, and no longer usable.
        HttpResponse<String> deleted = fx.call("DELETE", "/v1/contexts/" + ctx, a.key(), null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).isEqualTo("{\"status\":\"deleted\"}");
        assertThat(fx.call("GET", "/v1/contexts/" + ctx, a.key(), null).statusCode()).isEqualTo(404);
        assertThat(fx.call("DELETE", "/v1/devices/" + a.device() + "/browser", a.key(), null).statusCode()).isEqualTo(200);
        fx.awaitStatus(a, "404", Duration.ofSeconds(20));
        assertThat(fx.call("POST", "/v1/devices/" + a.device() + "/browser", a.key(), "{\"context_id\":\"" + ctx + "\"}").statusCode()).isEqualTo(404);
    }

    @Test
    void aCreateThatAdoptsAnIdleSessionStillStartsFromTheContextInAFreshBrowser() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live a = fx.ready(t, "{\"ttl\":600,\"profile\":{\"device\":\"pixel-7\"}}");
        try (Playwright pw = Playwright.create()) {
            Browser browser = connect(pw, a);
            Page page = browser.contexts().get(0).newPage();
            page.navigate(url("/login"));
            page.waitForFunction("document.title === 'logged-in'", null, new Page.WaitForFunctionOptions().setTimeout(30_000));
            browser.close();
        }
        String ctx = BrowserFixture.json(fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"persist\":true}"))
                .get("context_id").asText();
        fx.awaitStatus(t, "404", Duration.ofSeconds(20));

        // B: a plain session, left idle by Playwright's close (which only disconnects).
        BrowserFixture.Live b = fx.ready(t, "{\"ttl\":600}");
        try (Playwright pw = Playwright.create()) {
            connect(pw, b).close();
        }
        fx.awaitStatus(t, "idle", Duration.ofSeconds(10));
        long pidB = fx.host.browserOf(b.id()).orElseThrow().getKey();

        // The create adopts B (same session id) but B's browser cannot take a context: it is replaced by a cold one.
        HttpResponse<String> created = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"ttl\":600,\"context_id\":\"" + ctx + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode c = BrowserFixture.json(created);
        assertThat(c.get("session_id").asText()).isEqualTo(b.id().toString());
        JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
        assertThat(ready.get("resolved_profile").get("device").asText()).isEqualTo("pixel-7");
        assertThat(fx.host.browserOf(b.id()).orElseThrow().getKey()).isNotEqualTo(pidB);
        try (Playwright pw = Playwright.create()) {
            Browser browser = connect(pw, new BrowserFixture.Live(t, b.id(), c.get("connect_token").asText()));
            Page page = browser.contexts().get(0).newPage();
            page.navigate(url("/adopted"));
            assertThat(state(page).get("idb").asText()).isEqualTo("idb-token-7");
            browser.close();
        }
        assertThat(cookiesSeen).anyMatch(x -> x.startsWith(BrowserFixture.EGRESS + " /adopted ") && x.contains("sid=s3cr3t-session-value"));
        fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        fx.awaitStatus(t, "404", Duration.ofSeconds(20));
    }

    @Test
    void aContextOverTheCapIs413AndNothingIsSaved() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        BrowserFixture.Live s = fx.ready(t, "{\"ttl\":600}");
        try (Playwright pw = Playwright.create()) {
            Browser browser = connect(pw, s);
            Page page = browser.contexts().get(0).newPage();
            page.navigate(url("/big"));
            // 1 MiB of random (incompressible) text in IndexedDB, twice the cap.
            page.evaluate("""
                    () => new Promise((ok, fail) => { const r = indexedDB.open("big", 1);
                      r.onupgradeneeded = () => r.result.createObjectStore("kv");
                      r.onsuccess = () => { const a = new Uint8Array(768 * 1024); for (let i = 0; i < a.length; i += 65536) crypto.getRandomValues(a.subarray(i, i + 65536));
                        let s = ""; for (const x of a) s += String.fromCharCode(x);
                        const tx = r.result.transaction("kv", "readwrite"); tx.objectStore("kv").put(btoa(s), "blob"); tx.oncomplete = ok; tx.onerror = fail; };
                      r.onerror = fail; })""");
            browser.close();
        }
        HttpResponse<String> now = fx.call("POST", "/v1/sessions/" + s.id() + "/context", t.key(), "{}");
        assertThat(now.statusCode()).as(now.body()).isEqualTo(413);
        assertThat(BrowserFixture.json(now).get("error").asText()).isEqualTo("context_too_large");
        assertThat(fx.awaitStatus(t, "idle", Duration.ofSeconds(5)).get("status").asText()).isEqualTo("idle"); // it goes on

        HttpResponse<String> del = fx.call("DELETE", "/v1/devices/" + t.device() + "/browser?persist=true", t.key(), null);
        assertThat(del.statusCode()).as(del.body()).isEqualTo(413);
        assertThat(BrowserFixture.json(del).get("error").asText()).isEqualTo("context_too_large");
        assertThat(BrowserFixture.json(del).get("message").asText()).contains("stopped and nothing was saved");
        fx.awaitStatus(t, "404", Duration.ofSeconds(20));
        assertThat(fx.call("GET", "/v1/contexts", t.key(), null).body()).isEqualTo("[]");
        Integer rows = fx.db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM browser_contexts WHERE customer_id = :c")
                .bind("c", t.customer()).mapTo(Integer.class).one());
        assertThat(rows).isZero();

        // Scopes: reading needs proxies.read, changing needs sessions.write.
        String readOnly = fx.accounts.mintKey(t.customer(), "ro", java.util.Set.of("proxies.read"), null).plaintext();
        assertThat(fx.call("GET", "/v1/contexts", readOnly, null).statusCode()).isEqualTo(200);
        assertThat(fx.call("DELETE", "/v1/contexts/" + java.util.UUID.randomUUID(), readOnly, null).statusCode()).isEqualTo(403);
        assertThat(fx.call("POST", "/v1/sessions/" + s.id() + "/context", readOnly, "{}").statusCode()).isEqualTo(403);
    }
}
