package com.aimlib.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code aimlib admin hosts create|revoke} (issue 12) against a real gateway: the credential a host starts with. */
class HostsCliTest {
    @BeforeAll
    static void start() throws Exception {
        AdminCliTest.start();
    }

    @AfterAll
    static void stop() {
        AdminCliTest.stop();
    }

    @Test
    void aHostCredentialIsMintedIntoAPrivateFileListedAndRevoked() throws Exception {
        String name = "cli-host-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = Files.createTempDirectory("cli-host").resolve("token");
        AdminCliTest.Run created = AdminCliTest.admin("hosts", "create", "--name", name, "--region", "eu", "--token-file", file.toString());
        assertThat(created.exit()).as(created.err()).isZero();
        String token = Files.readString(file).trim();
        assertThat(token).startsWith("aimh_");
        assertThat(created.out()).contains(name).contains("token written to").doesNotContain(token);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        byte[] stored = AdminCliTest.db.jdbi().withHandle(h -> h.createQuery("SELECT token_hash FROM browser_hosts WHERE name = :n")
                .bind("n", name).mapTo(byte[].class).one());
        assertThat(stored).isEqualTo(Secrets.hash(token));

        AdminCliTest.Run printed = AdminCliTest.admin("hosts", "create", "--name", name + "-b", "--region", "eu");
        assertThat(printed.exit()).as(printed.err()).isZero();
        assertThat(printed.out()).contains("token: aimh_").contains("only time");

        AdminCliTest.Run again = AdminCliTest.admin("hosts", "create", "--name", name, "--region", "eu");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("409").contains("already exists");

        AdminCliTest.Run list = AdminCliTest.admin("hosts", "list", "--json");
        String id = null;
        for (var h : list.json()) {
            if (name.equals(h.get("name").asText())) {
                id = h.get("id").asText();
            }
        }
        assertThat(id).isNotNull();
        String hostId = id;
        AdminCliTest.Run revoked = AdminCliTest.admin("hosts", "revoke", id);
        assertThat(revoked.exit()).as(revoked.err()).isZero();
        assertThat(revoked.out()).contains("revoked");
        assertThat(AdminCliTest.db.jdbi().<Boolean, RuntimeException>withHandle(h -> h.createQuery("SELECT token_hash IS NULL FROM browser_hosts WHERE id = CAST(:id AS uuid)")
                .bind("id", hostId).mapTo(Boolean.class).one())).isTrue();
        AdminCliTest.Run twice = AdminCliTest.admin("hosts", "revoke", id);
        assertThat(twice.exit()).isEqualTo(1);
        assertThat(twice.err()).contains("409");
    }
}
