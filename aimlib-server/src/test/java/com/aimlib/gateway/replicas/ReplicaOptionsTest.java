package com.aimlib.gateway.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aimlib.gateway.GatewayCommand;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.GatewayOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The replica flags: shared rate limits by role, the peer link's port and advertised address. */
class ReplicaOptionsTest {

    static GatewayOptions options(String... args) throws Exception {
        GatewayCommand cmd = new GatewayCommand();
        new CommandLine(cmd).parseArgs(args);
        var f = GatewayCommand.class.getDeclaredField("options");
        f.setAccessible(true);
        return (GatewayOptions) f.get(cmd);
    }

    @Test
    void aGatewaySharesRateLimitsStandaloneKeepsThemInMemoryAndTheFlagDecides() throws Exception {
        assertThat(System.getenv("AIMLIB_RATE_LIMIT_STORE")).as("test environment").isNull();
        assertThat(options().config().sharedRateLimits()).isTrue();
        assertThat(options().config(false).sharedRateLimits()).isFalse();
        assertThat(options("--rate-limit-store", "memory").config().sharedRateLimits()).isFalse();
        assertThat(options("--rate-limit-store", "postgres").config(false).sharedRateLimits()).isTrue();
        assertThatThrownBy(() -> options("--rate-limit-store", "redis").config()).hasMessageContaining("AIMLIB_RATE_LIMIT_STORE");
    }

    @Test
    void thePeerLinkDefaultsToAFreePortAndThePublicHost() throws Exception {
        assertThat(System.getenv("AIMLIB_PEER_PORT")).as("test environment").isNull();
        GatewayConfig d = options().config();
        assertThat(d.replicas().peerPort()).isZero();
        assertThat(d.replicas().peerAdvertise()).isNull();
        GatewayConfig c = options("--peer-port", "7784", "--peer-advertise", "10.0.0.7").config();
        assertThat(c.replicas().peerPort()).isEqualTo(7784);
        assertThat(c.replicas().peerAdvertise()).isEqualTo("10.0.0.7");
        assertThatThrownBy(() -> options("--peer-port", "70000").config()).hasMessageContaining("AIMLIB_PEER_PORT");
    }
}
