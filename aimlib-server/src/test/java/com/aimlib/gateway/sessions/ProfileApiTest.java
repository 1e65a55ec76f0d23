package com.aimlib.gateway.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.aimlib.protocol.host.ChromiumVersion;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.testing.BrowserFixture;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Profiles at the gateway: every example of the customer documentation gets 201 and is applied in
 * {@code resolved_profile} from {@code provisioning} on; every bad value is 400 {@code profile_invalid} naming its
 * key; {@code GET /v1/profiles}.
 */
class ProfileApiTest {
    static BrowserFixture fx;
    static String realMajor;

    @BeforeAll
    static void start() throws Exception {
        fx = new BrowserFixture(50);
        realMajor = ChromiumVersion.of(Path.of("/usr/bin/chromium")).split("\\.")[0];
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    /** The profile examples of aimlib-docs.txt, as the SDKs send them. */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"device\":\"pixel-8-pro\"}",
            "{\"device\":\"galaxy-s24-ultra\"}",
            "{\"device\":\"random\"}",
            "{\"device\":\"pixel-8-pro\",\"timezone\":\"America/Los_Angeles\",\"locale\":\"en-US\",\"cores\":4,\"ram_gb\":8,\"screen\":[1440,3120],\"dpi\":512}",
            "{\"device\":\"pixel-8-pro\",\"timezone\":\"America/Los_Angeles\",\"locale\":\"en-US\",\"cores\":8,\"ram_gb\":6,\"screen\":[1440,3120],\"dpi\":512}",
            "{\"device\":\"pixel-8-pro\",\"timezone\":\"America/New_York\",\"locale\":\"en-US\",\"cores\":8,\"ram_gb\":8,\"screen\":[1440,3120],\"dpi\":512}",
            "{\"android_version\":\"14\",\"chrome_version\":\"126\",\"device\":\"Pixel 8\"}",
            "{\"device\":\"pixel-8-pro\",\"model\":\"Pixel 8 Pro\",\"brand\":\"Google\",\"android_version\":\"15\",\"chrome_version\":\"132\",\"webgl\":true,\"webrtc_block\":true,\"battery\":85}",
            "{\"device\":\"pixel-8-pro\",\"timezone\":\"US/Pacific\",\"locale\":\"en-US\",\"cores\":8,\"ram_gb\":12,\"screen\":[1440,3120],\"dpi\":512}",
            "{\"device\":\"pixel-8-pro\",\"timezone\":\"US/Pacific\",\"locale\":\"en-US\"}",
            "{\"device\":\"pixel-8-pro\",\"manufacturer\":\"Google\",\"build_fingerprint\":\"...\",\"webrtc_block\":true,\"dns_leak_block\":true,\"battery\":75}",
            "{}"})
    void everyDocumentedExampleGets201AndIsAppliedFromProvisioningOn(String profile) throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(),
                "{\"ttl\":300,\"idle_timeout\":120,\"sticky\":false,\"profile\":" + profile + "}");
        try {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            JsonNode got = get(t);
            assertThat(got.get("status").asText()).isIn("provisioning", "ready");
            assertApplied(Json.MAPPER.readTree(profile), got.get("resolved_profile"));
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    private static void assertApplied(JsonNode asked, JsonNode resolved) {
        assertThat(resolved).as("resolved_profile").isNotNull();
        for (String k : Set.of("device", "model", "brand", "manufacturer", "android_version", "build_fingerprint",
                "security_patch", "chrome_version", "timezone", "locale", "languages", "cores", "ram_gb", "device_memory",
                "screen", "dpi", "dpr", "css_screen", "viewport", "touch_points", "webgl", "fonts", "audio_sample_rate",
                "storage_quota", "battery", "webrtc_block", "ipv6_block", "dns_leak_block", "tls_randomize", "user_agent", "ua_ch")) {
            assertThat(resolved.has(k)).as(k).isTrue();
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = asked.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = resolved.get(e.getKey());
            switch (e.getKey()) {
                case "device" -> assertThat(e.getValue().asText().equals("random") ? DeviceCatalogue.bundled().find(v.asText())
                        : DeviceCatalogue.bundled().find(e.getValue().asText()).filter(d -> d.name().equals(v.asText()))).isPresent();
                case "chrome_version" -> {
                    assertThat(v.asText()).isEqualTo(realMajor);
                    if (!e.getValue().asText().equals(realMajor)) {
                        assertThat(resolved.get("chrome_version_requested").asText()).isEqualTo(e.getValue().asText());
                    }
                }
                case "timezone" -> assertThat(v.asText()).isEqualTo(e.getValue().asText().equals("US/Pacific")
                        ? "America/Los_Angeles" : e.getValue().asText());
                case "battery" -> assertThat(v.get("level").asDouble()).isEqualTo(e.getValue().asDouble() / 100);
                case "webgl" -> assertThat(v.get("renderer").isTextual()).isTrue();
                default -> assertThat(v).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
        if (asked.has("dpi")) {
            double dpr = asked.get("dpi").asInt() / 160.0;
            assertThat(resolved.get("dpr").asDouble()).isEqualTo(dpr);
            assertThat(resolved.get("css_screen").get(0).asInt()).isEqualTo((int) Math.ceil(asked.get("screen").get(0).asInt() / dpr - 1e-9));
        }
        if (asked.has("android_version")) {
            assertThat(resolved.get("ua_ch").get("platform_version").asText()).isEqualTo(asked.get("android_version").asText() + ".0.0");
        }
        assertThat(resolved.get("user_agent").asText()).contains("Chrome/" + realMajor + ".0.0.0 Mobile");
    }

    private static JsonNode get(BrowserFixture.Tenant t) throws Exception {
        HttpResponse<String> g = fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        assertThat(g.statusCode()).isEqualTo(200);
        return BrowserFixture.json(g);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "device|\"iphone-15\"", "cores|0", "cores|65", "ram_gb|\"lots\"", "screen|\"big\"", "screen|[1080]",
            "screen|[0,2400]", "dpi|50", "dpi|1200", "android_version|\"7\"", "android_version|\"x\"", "locale|\"german!\"",
            "timezone|\"Mars/Olympus\"", "battery|150", "battery|\"full\"", "touch_points|0", "webgl|false",
            "fonts|\"Roboto\"", "storage_quota|-1", "model|7", "brand|\"\"", "manufacturer|[]", "build_fingerprint|{}",
            "security_patch|\"yesterday\"", "chrome_version|\"newest\"", "webrtc_block|\"on\"", "ipv6_block|0",
            "dns_leak_block|null2", "tls_randomize|\"true\"", "audio_48khz|1"})
    void everyBadValueIs400ProfileInvalidNamingTheKey(String key, String value) throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String body = value.equals("null2") ? "{\"profile\":{\"" + key + "\":\"no\"}}" : "{\"profile\":{\"" + key + "\":" + value + "}}";
        HttpResponse<String> r = fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), body);
        assertThat(r.statusCode()).as(body).isEqualTo(400);
        JsonNode err = BrowserFixture.json(r);
        assertThat(err.get("error").asText()).isEqualTo("profile_invalid");
        assertThat(err.get("message").asText()).startsWith(key + ": ");
        HttpResponse<String> g = fx.call("GET", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        assertThat(g.statusCode() == 404 || BrowserFixture.json(g).get("status").asText().equals("idle"))
                .as("no session was provisioned: " + g.body()).isTrue();
    }

    @Test
    void randomIsDrawnOnceAndStaysFixedThroughReady() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        try {
            assertThat(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{\"profile\":{\"device\":\"random\"}}")
                    .statusCode()).isEqualTo(201);
            JsonNode first = get(t).get("resolved_profile");
            assertThat(get(t).get("resolved_profile")).isEqualTo(first);
            JsonNode ready = fx.awaitStatus(t, "ready", Duration.ofSeconds(30));
            assertThat(ready.get("resolved_profile")).as("the host applies what the gateway resolved").isEqualTo(first);
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void deviceTimezoneAndLocaleAreTheDefaults() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        fx.db.jdbi().useHandle(h -> h.createUpdate("UPDATE devices SET timezone = 'Europe/Berlin', locale = 'de-DE' WHERE id = :d")
                .bind("d", t.device()).execute());
        try {
            assertThat(fx.call("POST", "/v1/devices/" + t.device() + "/browser", t.key(), "{}").statusCode()).isEqualTo(201);
            JsonNode p = get(t).get("resolved_profile");
            assertThat(p.get("timezone").asText()).isEqualTo("Europe/Berlin");
            assertThat(p.get("locale").asText()).isEqualTo("de-DE");
            assertThat(p.get("languages").toString()).isEqualTo("[\"de-DE\",\"de\",\"en-US\",\"en\"]");
        } finally {
            fx.call("DELETE", "/v1/devices/" + t.device() + "/browser", t.key(), null);
        }
    }

    @Test
    void profilesListsTheCatalogueAndRandom() throws Exception {
        BrowserFixture.Tenant t = fx.tenant();
        String readOnly = fx.accounts.mintKey(t.customer(), "ro", Set.of("proxies.read"), null).plaintext();
        HttpResponse<String> r = fx.call("GET", "/v1/profiles", readOnly, null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = BrowserFixture.json(r);
        assertThat(body.get("version").asText()).isEqualTo(DeviceCatalogue.bundled().version());
        JsonNode list = body.get("profiles");
        assertThat(list.size()).isGreaterThanOrEqualTo(21);
        JsonNode first = list.get(0);
        assertThat(first.fieldNames()).toIterable().containsExactly("name", "aliases", "model", "brand", "manufacturer",
                "android_version", "screen", "dpr", "viewport", "cores", "ram_gb", "gpu");
        assertThat(list.get(list.size() - 1).get("name").asText()).isEqualTo("random");
        assertThat(fx.call("GET", "/v1/profiles", null, null).statusCode()).isEqualTo(401);
    }
}
