package com.aimlib.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.agent.Agent;
import com.aimlib.agent.AgentSettings;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.rotation.RotationFixture;
import com.aimlib.protocol.EgressIpBody;
import com.aimlib.protocol.OperationBody;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code device.rotateIp()}, {@code operations()} and {@code device.ips()} against a real gateway with real agents
 * on loopback whose rotate command rewrites their binding file (127.0.0.2 → 127.0.0.3).
 */
class RotationSdkTest {
    static final AgentSettings AGENT = AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .withRotation(Duration.ofMillis(300), Duration.ofSeconds(2)).withCommandTimeout(Duration.ofSeconds(5));
    static Database db;
    static Gateway gateway;
    static RotationFixture fx;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        fx = new RotationFixture(db, new Accounts(db, box));
    }

    @AfterAll
    static void stop() throws Exception {
        fx.close();
        gateway.close();
        db.close();
    }

    Aimlib client(RotationFixture.Tenant t) {
        return Aimlib.builder().apiKey(t.key()).baseUrl(gateway.baseUrl()).build();
    }

    @Test
    void rotateIpReturnsTheConfirmedNewIpAndOperationsAndHistoryFollow() throws Exception {
        RotationFixture.Tenant t = fx.tenant();
        RotationFixture.Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, "printf 127.0.0.3 > %f", null); Aimlib ai = client(t)) {
            Device device = ai.device(d.id().toString());
            OperationBody op = device.rotateIp();
            assertThat(op.status()).isEqualTo("succeeded");
            assertThat(op.oldIp()).isEqualTo("127.0.0.2");
            assertThat(op.newIp()).isEqualTo("127.0.0.3");
            assertThat(ai.operations().get(op.operationId().toString())).isEqualTo(op);
            assertThat(ai.operations().await(op.operationId().toString(), Duration.ofSeconds(1))).isEqualTo(op);

            // The minimum interval: a typed exception with Retry-After, thrown at once (not retried), never CapacityException.
            long t0 = System.nanoTime();
            assertThatThrownBy(device::rotateIp).isInstanceOfSatisfying(RotationTooSoonException.class, e -> {
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(60));
            }).isNotInstanceOf(CapacityException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));

            List<EgressIpBody> ips = device.ips();
            assertThat(ips).extracting(EgressIpBody::ip).containsExactly("127.0.0.3", "127.0.0.2");
            assertThat(ips.get(0).operationId()).isEqualTo(op.operationId());

            try (Aimlib stranger = client(fx.tenant())) {
                assertThatThrownBy(() -> stranger.operations().get(op.operationId().toString()))
                        .isInstanceOfSatisfying(AimlibException.class, e -> assertThat(e.status()).isEqualTo(404));
            }
        }
    }

    @Test
    void aRotationThatKeepsTheIpThrowsWithItsOperationAndASecondOneIsInProgress() throws Exception {
        RotationFixture.Tenant t = fx.tenant();
        RotationFixture.Device d = fx.device("127.0.0.2");
        fx.lease(t, d);
        try (Agent ignored = fx.agent(gateway, d, AGENT, "sleep 1; true", null); Aimlib ai = client(t)) {
            Device device = ai.device(d.id().toString());
            OperationBody queued = device.rotateIp(false, Duration.ZERO);
            assertThat(queued.status()).isIn("queued", "running");
            assertThatThrownBy(() -> device.rotateIp(false, Duration.ZERO)).isInstanceOf(RotationInProgressException.class);
            OperationBody done = ai.operations().await(queued.operationId().toString(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo("failed");
            assertThat(done.reason()).isEqualTo("ip_unchanged");
        }
        RotationFixture.Device d2 = fx.device("127.0.0.2");
        fx.lease(t, d2);
        try (Agent ignored = fx.agent(gateway, d2, AGENT, "true", null); Aimlib ai = client(t)) {
            assertThatThrownBy(() -> ai.device(d2.id().toString()).rotateIp())
                    .isInstanceOfSatisfying(RotationFailedException.class, e -> {
                        assertThat(e.operation().status()).isEqualTo("failed");
                        assertThat(e.operation().reason()).isEqualTo("ip_unchanged");
                    });
        }
    }
}
