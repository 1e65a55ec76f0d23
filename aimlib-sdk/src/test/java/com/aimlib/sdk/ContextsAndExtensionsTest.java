package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.testing.BrowserFixture;
import com.microsoft.playwright.Page;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Saved logins and extensions (issue 14) through the Java SDK against the real server. */
class ContextsAndExtensionsTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = Server.shared();
    }

    @Test
    void persistOnCloseThenStartFromTheContextAndOnlyTheOwnerSeesIt() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        BrowserFixture.Tenant other = server.fx.tenant();
        String contextId;
        try (Aimlib ai = server.client(t.key()); Aimlib stranger = server.client(other.key())) {
            Device device = ai.device(t.device().toString());
            BrowserSession first = device.browser(BrowserOptions.builder().profile("pixel-7").ttl("10m").persist(true)
                    .contextName("java login").build());
            try (first) {
                Page page = first.newPage();
                page.navigate(server.fx.whoami.url("/login"));
                page.evaluate("() => { localStorage.setItem('who', 'java-user'); document.cookie = 'j=1; max-age=3600; path=/'; }");
            }
            contextId = first.contextId();
            assertThat(contextId).isNotNull();
            server.awaitSessionStatus(t, 404, Duration.ofSeconds(20));

            Context ctx = ai.contexts().get(contextId);
            assertThat(ctx.name()).isEqualTo("java login");
            assertThat(ctx.sizeBytes()).isPositive();
            assertThat(ctx.resolvedProfile()).containsEntry("device", "pixel-7");
            assertThat(ai.contexts().list()).extracting(Context::id).contains(contextId);
            assertThatThrownBy(() -> stranger.contexts().get(contextId)).isInstanceOf(AimlibException.class)
                    .satisfies(e -> assertThat(((AimlibException) e).status()).isEqualTo(404));

            try (BrowserSession again = device.browser(BrowserOptions.builder().contextId(contextId).ttl("10m").build())) {
                Page page = again.newPage();
                page.navigate(server.fx.whoami.url("/account"));
                assertThat(page.evaluate("() => localStorage.getItem('who')")).isEqualTo("java-user");
                assertThat((String) page.evaluate("() => document.cookie")).contains("j=1");
                assertThat(again.fingerprint()).containsEntry("device", "pixel-7");
                Context snap = again.saveContext("snapshot");
                assertThat(snap.name()).isEqualTo("snapshot");
                ai.contexts().delete(snap.id());
            }
            server.awaitSessionStatus(t, 404, Duration.ofSeconds(20));
            ai.contexts().delete(contextId);
            assertThatThrownBy(() -> ai.contexts().get(contextId)).isInstanceOf(AimlibException.class);
        }
    }

    @Test
    void uploadADirectoryRefuseAProxyExtensionAndLoadOne() throws Exception {
        BrowserFixture.Tenant t = server.fx.tenant();
        BrowserFixture.Tenant other = server.fx.tenant();
        Path ok = Files.createTempDirectory("ext");
        Files.writeString(ok.resolve("manifest.json"), "{\"manifest_version\":3,\"name\":\"java probe\",\"version\":\"2.0\","
                + "\"background\":{\"service_worker\":\"bg.js\"}}");
        Files.writeString(ok.resolve("bg.js"), "fetch('" + server.fx.whoami.url("/from-java-extension") + "', {mode: 'no-cors'});");
        Path bad = Files.createTempDirectory("ext");
        Files.writeString(bad.resolve("manifest.json"), "{\"manifest_version\":3,\"name\":\"b\",\"version\":\"1\",\"permissions\":[\"nativeMessaging\"]}");
        try (Aimlib ai = server.client(t.key()); Aimlib stranger = server.client(other.key())) {
            Extension ext = ai.extensions().upload(ok);
            assertThat(ext.name()).isEqualTo("java probe");
            assertThat(ext.fileCount()).isEqualTo(2);
            assertThat(ai.extensions().list()).extracting(Extension::id).containsExactly(ext.id());
            assertThat(stranger.extensions().list()).isEmpty();
            assertThatThrownBy(() -> ai.extensions().upload(bad)).isInstanceOf(AimlibException.class)
                    .satisfies(e -> assertThat(((AimlibException) e).code()).isEqualTo("extension_invalid"))
                    .hasMessageContaining("nativeMessaging");

            try (BrowserSession s = ai.device(t.device().toString()).browser(BrowserOptions.builder().extensions(List.of(ext.id())).build())) {
                s.waitUntilReady();
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < end && server.fx.whoami.seen.stream().noneMatch(x -> x.contains("/from-java-extension"))) {
                    Thread.sleep(50);
                }
                assertThat(server.fx.whoami.seen).contains(BrowserFixture.EGRESS + " /from-java-extension");
            }
            server.awaitSessionStatus(t, 404, Duration.ofSeconds(20));
            ai.extensions().delete(ext.id());
            assertThat(ai.extensions().list()).isEmpty();
        }
    }
}
