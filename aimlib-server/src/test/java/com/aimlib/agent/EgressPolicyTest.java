package com.aimlib.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EgressPolicyTest {
    private static final EgressPolicy STRICT = EgressPolicy.strict();

    private static InetSocketAddress at(String ip, int port) {
        InetAddress a = NetUtil.createInetAddressFromIpAddressString(ip);
        assertThat(a).as(ip).isNotNull();
        return new InetSocketAddress(a, port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255", "127.0.0.1",
            "127.255.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.168.1.1", "198.18.0.1",
            "198.19.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
            "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1",
            "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::127.0.0.1",
            "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "64:ff9b:1:ffff::808:808",
            "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"})
    void refusesEveryNonPublicRangeByDefault(String ip) {
        assertThat(STRICT.allows(null, at(ip, 443))).as(ip).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255",
            "172.32.0.0", "192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.0", "223.255.255.255", "11.0.0.1",
            "2606:4700::1", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"})
    void allowsPublicAddresses(String ip) {
        assertThat(STRICT.allows(null, at(ip, 443))).as(ip).isTrue();
    }

    @Test
    void refusesIpv4CompatibleAddressesWhateverTheyEmbed() throws Exception {
        // Netty reads the literal "::8.8.8.8" as 8.8.8.8; as bytes it stays an IPv6 address of the deprecated ::/96.
        InetAddress compatible = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8});
        assertThat(compatible).isInstanceOf(java.net.Inet6Address.class);
        assertThat(STRICT.allows(null, new InetSocketAddress(compatible, 53))).isFalse();
    }

    @Test
    void refusesTheHostsOwnAddressesEvenWhenPublic() {
        InetSocketAddress own = at("93.184.216.34", 80);
        EgressPolicy policy = STRICT.withHostAddresses(() -> Set.of(own.getAddress()));
        assertThat(policy.allows(null, own)).isFalse();
        assertThat(policy.allows(null, at("::ffff:93.184.216.34", 80))).isFalse();
        assertThat(policy.allows(null, at("2002:5db8:d822::1", 80))).as("6to4 embedding it").isFalse();
        assertThat(policy.allows(null, at("93.184.216.35", 80))).isTrue();
    }

    @Test
    void refusesEveryAddressOfTheRealLocalInterfaces() throws Exception {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                assertThat(STRICT.allows(null, new InetSocketAddress(a, 80))).as(a.toString()).isFalse();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001", "127.0.0.1.", "0x7F.0.0.01", "017700000001"})
    void readsNumericHostsAsInetAtonDoesSoTheyAreJudgedAsLoopback(String spelling) {
        assertThat(NumericHost.endsInNumber(spelling)).isTrue();
        InetAddress a = NumericHost.parse(spelling);
        assertThat(a).isNotNull();
        assertThat(a.getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(STRICT.allows(null, new InetSocketAddress(a, 80))).isFalse();
    }

    @Test
    void numericHostsOutOfRangeAreInvalidAndNamesAreNotNumeric() {
        assertThat(NumericHost.parse("4294967296")).isNull();
        assertThat(NumericHost.parse("256.0.0.1")).isNull();
        assertThat(NumericHost.parse("1.2.3.4.5")).isNull();
        assertThat(NumericHost.parse("1.2.65536")).isNull();
        assertThat(NumericHost.parse("08.0.0.1")).as("8 is not an octal digit").isNull();
        assertThat(NumericHost.endsInNumber("example.com")).isFalse();
        assertThat(NumericHost.endsInNumber("localhost")).isFalse();
        assertThat(NumericHost.endsInNumber("1.example")).isFalse();
        assertThat(NumericHost.parse("4294967295").getHostAddress()).isEqualTo("255.255.255.255");
    }

    @Test
    void cidrEntriesAllowTheirRangeOverTheDefaults() {
        EgressPolicy p = EgressPolicy.parse("127.0.0.0/8, 10.1.0.0/16,fd00::/8");
        assertThat(p.allows(null, at("127.0.0.1", 5432))).isTrue();
        assertThat(p.allows(null, at("::ffff:127.0.0.1", 5432))).isTrue();
        assertThat(p.allows(null, at("10.1.200.3", 1))).isTrue();
        assertThat(p.allows(null, at("10.2.0.1", 1))).isFalse();
        assertThat(p.allows(null, at("fd00::5", 1))).isTrue();
        assertThat(p.allows(null, at("fc00::5", 1))).isFalse();
        assertThat(p.allows(null, at("192.168.1.1", 1))).isFalse();
        assertThat(EgressPolicy.parse("10.9.8.7").allows(null, at("10.9.8.7", 22))).as("a bare address is a /32").isTrue();
        assertThat(EgressPolicy.parse("10.9.8.7").allows(null, at("10.9.8.6", 22))).isFalse();
    }

    @Test
    void ipPortEntriesAllowOnlyThatAddressAndPort() {
        EgressPolicy p = EgressPolicy.parse("127.0.0.1:8080,[::1]:9090");
        assertThat(p.allows(null, at("127.0.0.1", 8080))).isTrue();
        assertThat(p.allows("localhost", at("127.0.0.1", 8080))).as("whatever name led there").isTrue();
        assertThat(p.allows(null, at("127.0.0.1", 8081))).isFalse();
        assertThat(p.allows(null, at("127.0.0.2", 8080))).isFalse();
        assertThat(p.allows(null, at("::1", 9090))).isTrue();
        assertThat(p.allows(null, at("::1", 8080))).isFalse();
    }

    @Test
    void nameEntriesMatchTheRequestedNameAndPortOnly() {
        EgressPolicy p = EgressPolicy.parse("db.internal:5432,LocalHost.:8080");
        assertThat(p.allows("db.internal", at("10.0.0.5", 5432))).isTrue();
        assertThat(p.allows("DB.Internal.", at("10.0.0.5", 5432))).isTrue();
        assertThat(p.allows("db.internal", at("10.0.0.5", 5433))).isFalse();
        assertThat(p.allows(null, at("10.0.0.5", 5432))).as("the same address by number").isFalse();
        assertThat(p.allows("other.internal", at("10.0.0.5", 5432))).isFalse();
        assertThat(p.allows("localhost", at("127.0.0.1", 8080))).isTrue();
    }

    @Test
    void blankAllowListIsStrict() {
        assertThat(EgressPolicy.parse(null).allows(null, at("127.0.0.1", 80))).isFalse();
        assertThat(EgressPolicy.parse("  ").allows(null, at("127.0.0.1", 80))).isFalse();
        assertThat(EgressPolicy.parse("  ").toString()).isEqualTo("strict");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "fd00::/129", "[fd00::]/8",
            "localhost", "example.com", "host:0", "host:65536", "host:http", "host:", ":80", "::1:80x", "fd00::1:80:x",
            "127.1:80", "2130706433:80", "0x7f.1:80", "bad_host!:80", "[127.0.0.1]:80", "[zz]:80", "10.0.0.0/8,,8.8.8.8/32",
            "10.0.0.0/8,", "-1.0.0.0/8", "a..b:80"})
    void rejectsBadEntriesWithTheEntryInTheMessage(String spec) {
        assertThatThrownBy(() -> EgressPolicy.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("egress allow entry '");
    }
}
