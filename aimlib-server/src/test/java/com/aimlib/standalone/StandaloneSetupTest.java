package com.aimlib.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.api.ApiClient;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The standalone start's operator key and demo rows, run twice over one database as a restart does. */
class StandaloneSetupTest {
    static Database db;
    static SecretBox box;
    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        demoEnv = java.nio.file.Files.createTempDirectory("aimlib-demo-env").resolve("demo.env");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static java.nio.file.Path demoEnv;

    static String run(boolean demo, String presetOperatorKey) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StandaloneSetup setup = new StandaloneSetup(db, box, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        setup.ensureOperatorKey(presetOperatorKey, demo);
        if (demo) {
            setup.printDemo(setup.ensureDemo(presetOperatorKey), gateway, "http://127.0.0.1:1", demoEnv);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static String export(String out, String name) {
        Matcher m = Pattern.compile("^export " + name + "=(\\S+)$", Pattern.MULTILINE).matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    static long count(String table) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + table).mapTo(Long.class).one());
    }

    @Test
    void demoIsCreatedOnceAndItsKeysWorkAcrossRestarts() throws Exception {
        String first = run(true, null);
        assertThat(first).as("one operator key: the demo's, in the export lines").doesNotContain("shown once");
        String apiKey = export(first, "AIMLIB_API_KEY");
        String operatorKey = export(first, "AIMLIB_OPERATOR_KEY");
        assertThat(export(first, "AIMLIB_BASE_URL")).isEqualTo(gateway.baseUrl());
        assertThat(export(first, "AIMLIB_DEMO_ORIGIN")).isEqualTo("http://127.0.0.1:1");
        assertThat(first).contains("\"$AIMLIB_DEMO_ORIGIN/\"").doesNotContain("/healthz");
        assertThat(apiKey).startsWith("ak_live_");
        assertThat(first).contains("curl -s -H \"Authorization: Bearer $AIMLIB_API_KEY\" \"$AIMLIB_BASE_URL/v1/devices\"");

        ApiClient api = new ApiClient(gateway);
        JsonNode devices = ApiClient.json(api.get("/v1/devices", apiKey));
        assertThat(devices).hasSize(1);
        assertThat(devices.get(0).get("region").asText()).isEqualTo("local");
        assertThat(devices.get(0).get("carrier").asText()).isEqualTo("local");
        assertThat(devices.get(0).get("proxy").get("protocol").asText()).isEqualTo("socks5");
        assertThat(export(first, "AIMLIB_DEMO_PROXY")).isEqualTo(devices.get(0).get("proxy").get("url").asText());
        assertThat(first).contains("curl -s -x \"$AIMLIB_DEMO_PROXY\" \"$AIMLIB_DEMO_ORIGIN/\"");
        assertThat(first).contains("These are also in " + demoEnv + " (mode 0600)");
        assertThat(java.nio.file.Files.getPosixFilePermissions(demoEnv))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String env = java.nio.file.Files.readString(demoEnv);
        assertThat(env).contains("export AIMLIB_API_KEY=" + apiKey + "\n", "export AIMLIB_OPERATOR_KEY=" + operatorKey + "\n",
                "export AIMLIB_DEMO_PROXY=" + devices.get(0).get("proxy").get("url").asText() + "\n");
        assertThat(api.get("/admin/v1/customers", operatorKey).statusCode()).isEqualTo(200);
        long shownOnce = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM api_keys WHERE kind = 'operator' AND name = 'standalone'")
                .mapTo(Long.class).one());
        assertThat(shownOnce).as("no second, shown-once operator key").isZero();

        long customers = count("customers");
        long devicesRows = count("devices");
        long leases = count("leases");
        long keys = count("api_keys");
        String second = run(true, null);
        assertThat(second).doesNotContain("operator key:");
        assertThat(run(false, null)).contains("operator key: the demo's");
        assertThat(second).as("later starts print the file, not the secrets")
                .doesNotContain(apiKey).doesNotContain(operatorKey).doesNotContain("export ")
                .contains("source " + demoEnv + "\n").contains("curl -s -x \"$AIMLIB_DEMO_PROXY\"");
        assertThat(java.nio.file.Files.readString(demoEnv)).isEqualTo(env);
        assertThat(count("customers")).isEqualTo(customers);
        assertThat(count("devices")).isEqualTo(devicesRows);
        assertThat(count("leases")).isEqualTo(leases);
        assertThat(count("api_keys")).isEqualTo(keys);
        long sameHash = db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM api_keys WHERE key_hash = :h")
                .bind("h", Secrets.hash(apiKey)).mapTo(Long.class).one());
        assertThat(sameHash).isEqualTo(1);

        Accounts accounts = new Accounts(db, box);
        accounts.revokeKey(accounts.keyByHash(Secrets.hash(apiKey)).orElseThrow().id());
        String third = run(true, null);
        String fresh = export(third, "AIMLIB_API_KEY");
        assertThat(third).as("a replaced key is new: printed once").contains("These are also in");
        assertThat(java.nio.file.Files.readString(demoEnv)).contains("export AIMLIB_API_KEY=" + fresh + "\n");
        assertThat(fresh).isNotEqualTo(apiKey);
        gateway.close();
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        assertThat(new ApiClient(gateway).get("/v1/devices", fresh).statusCode()).isEqualTo(200);
    }

    @Test
    void presetOperatorKeyIsRegisteredHashedAndRefusedWhenUnusable() throws Exception {
        String preset = "ak_op_preset_" + Secrets.randomAlphanumeric(20);
        String out = run(false, preset);
        assertThat(out).contains("registered the one from AIMLIB_OPERATOR_KEY").doesNotContain(preset);
        assertThat(new ApiClient(gateway).get("/admin/v1/hosts", preset).statusCode()).isEqualTo(200);
        assertThat(run(false, preset)).doesNotContain("registered");
        assertThatThrownBy(() -> run(false, "short")).hasMessageContaining("16 to 256");
    }
}
