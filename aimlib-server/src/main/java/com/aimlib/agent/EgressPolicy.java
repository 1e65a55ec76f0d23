package com.aimlib.agent;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which addresses the agent may connect to for a customer. Refused unless allowed: loopback, private,
 * link-local, CGNAT, multicast, reserved and "this network" ranges, the agent's own host addresses, and IPv6
 * forms that embed such an IPv4 address (mapped, NAT64, 6to4) or cannot be judged (IPv4-compatible, Teredo,
 * local-use NAT64). The operator's allow list ({@link #parse}) wins over all of that. Judged on the address
 * actually connected, after resolution, so no spelling of the host and no DNS answer can bypass it.
 *
 * <p>Ranges are matched with Netty's {@link IpSubnetFilterRule} (already on the classpath, prefix-masked
 * comparison of the address bytes) rather than by hand.
 */
public final class EgressPolicy {
    private static final List<IpSubnetFilterRule> REFUSED = rules(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
            // IPv4-compatible (deprecated; includes :: and ::1), Teredo (the client address is obfuscated and
            // the relay is not ours to judge), local-use NAT64 (where the IPv4 sits depends on the deployment).
            "::/96", "2001::/32", "64:ff9b:1::/48",
            "fe80::/10", "fc00::/7", "ff00::/8");

    private final List<IpSubnetFilterRule> allowedRanges;
    private final Set<InetSocketAddress> allowedEndpoints;
    private final Set<String> allowedNames;
    private final Supplier<Set<InetAddress>> hostAddresses;
    private final String spec;

    private EgressPolicy(List<IpSubnetFilterRule> ranges, Set<InetSocketAddress> endpoints, Set<String> names,
                         Supplier<Set<InetAddress>> hostAddresses, String spec) {
        this.allowedRanges = List.copyOf(ranges);
        this.allowedEndpoints = Set.copyOf(endpoints);
        this.allowedNames = Set.copyOf(names);
        this.hostAddresses = hostAddresses;
        this.spec = spec;
    }

    /** The default: nothing allowed beyond public addresses that are not this host's. */
    public static EgressPolicy strict() {
        return parse("");
    }

    /**
     * A policy allowing, over the defaults, the comma-separated entries of {@code allow}: CIDRs
     * ({@code 10.1.0.0/16}, {@code fd00::/8}), single addresses ({@code 10.1.2.3}, {@code fd00::1}),
     * {@code ip:port} / {@code [v6]:port} (that address and port), or {@code name:port} (a CONNECT to exactly
     * that name and port, whatever it resolves to). Null or blank allows nothing more.
     *
     * @throws IllegalArgumentException naming the first bad entry
     */
    public static EgressPolicy parse(String allow) {
        List<IpSubnetFilterRule> ranges = new ArrayList<>();
        Set<InetSocketAddress> endpoints = new HashSet<>();
        Set<String> names = new HashSet<>();
        String spec = allow == null ? "" : allow.trim();
        if (!spec.isEmpty()) {
            for (String raw : spec.split(",", -1)) {
                String e = raw.trim();
                try {
                    addEntry(e, ranges, endpoints, names);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException("egress allow entry '" + e + "': " + ex.getMessage(), ex);
                }
            }
        }
        return new EgressPolicy(ranges, endpoints, names, HostAddresses.system(), spec);
    }

    /** The same allow list, judging {@code addresses} as the agent's own host addresses (tests). */
    EgressPolicy withHostAddresses(Supplier<Set<InetAddress>> addresses) {
        return new EgressPolicy(allowedRanges, allowedEndpoints, allowedNames, addresses, spec);
    }

    /** The allow list as given (empty when strict). */
    public String allowList() {
        return spec;
    }

    /**
     * Whether a connection to {@code target} may be opened; {@code name} is the host name of the CONNECT
     * authority, or null when it was an address.
     */
    public boolean allows(String name, InetSocketAddress target) {
        InetAddress address = withoutScope(target.getAddress());
        InetAddress embedded = embeddedIpv4(address);
        int port = target.getPort();
        if (name != null && allowedNames.contains(nameKey(name, port))) {
            return true;
        }
        if (allowedByOperator(address, port) || embedded != null && allowedByOperator(embedded, port)) {
            return true;
        }
        return !refused(address) && (embedded == null || !refused(embedded));
    }

    private boolean allowedByOperator(InetAddress address, int port) {
        if (allowedEndpoints.contains(new InetSocketAddress(address, port))) {
            return true;
        }
        InetSocketAddress probe = new InetSocketAddress(address, port);
        for (IpSubnetFilterRule r : allowedRanges) {
            if (r.matches(probe)) {
                return true;
            }
        }
        return false;
    }

    private boolean refused(InetAddress address) {
        if (hostAddresses.get().contains(address)) {
            return true;
        }
        InetSocketAddress probe = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule r : REFUSED) {
            if (r.matches(probe)) {
                return true;
            }
        }
        return false;
    }

    /** The IPv4 address an IPv6 one stands for: IPv4-mapped, NAT64 well-known prefix, 6to4; else null. */
    static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        boolean mapped = allZero(b, 0, 10) && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && allZero(b, 4, 12);
        if (mapped || nat64) {
            return v4(b[12], b[13], b[14], b[15]);
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return v4(b[2], b[3], b[4], b[5]);
        }
        return null;
    }

    /** The address without an IPv6 scope id, so that it compares by its bytes alone. */
    static InetAddress withoutScope(InetAddress a) {
        if (!(a instanceof Inet6Address six) || six.getScopeId() == 0 && six.getScopedInterface() == null) {
            return a;
        }
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void addEntry(String e, List<IpSubnetFilterRule> ranges, Set<InetSocketAddress> endpoints, Set<String> names) {
        if (e.isEmpty()) {
            throw new IllegalArgumentException("empty entry");
        }
        int slash = e.indexOf('/');
        if (slash >= 0) {
            ranges.add(cidr(e.substring(0, slash), e.substring(slash + 1)));
            return;
        }
        InetAddress single = NetUtil.createInetAddressFromIpAddressString(e);
        if (single != null && !e.startsWith("[")) {
            ranges.add(new IpSubnetFilterRule(single, single instanceof Inet4Address ? 32 : 128, IpFilterRuleType.ACCEPT));
            return;
        }
        int colon = e.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected a CIDR (10.0.0.0/8), an address, or host:port");
        }
        String host = e.substring(0, colon);
        int port = port(e.substring(colon + 1));
        if (host.startsWith("[") && host.endsWith("]")) {
            InetAddress v6 = NetUtil.isValidIpV6Address(host.substring(1, host.length() - 1))
                    ? NetUtil.createInetAddressFromIpAddressString(host.substring(1, host.length() - 1)) : null;
            if (v6 == null) {
                throw new IllegalArgumentException("not an IPv6 address in brackets");
            }
            endpoints.add(new InetSocketAddress(v6, port));
            return;
        }
        if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("an IPv6 address with a port needs brackets: [addr]:port");
        }
        InetAddress v4 = NetUtil.isValidIpV4Address(host) ? NetUtil.createInetAddressFromIpAddressString(host) : null;
        if (v4 != null) {
            endpoints.add(new InetSocketAddress(v4, port));
            return;
        }
        names.add(nameKey(validName(host), port));
    }

    private static IpSubnetFilterRule cidr(String ip, String prefix) {
        InetAddress a = NetUtil.createInetAddressFromIpAddressString(ip);
        if (a == null || !(NetUtil.isValidIpV4Address(ip) || NetUtil.isValidIpV6Address(ip)) || ip.startsWith("[")) {
            throw new IllegalArgumentException("not an IP address before the '/'");
        }
        int bits = a instanceof Inet4Address ? 32 : 128;
        if (prefix.isEmpty() || prefix.length() > 3 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(prefix) > bits) {
            throw new IllegalArgumentException("prefix length must be 0.." + bits);
        }
        int len = Integer.parseInt(prefix);
        byte[] b = a.getAddress();
        for (int i = len; i < bits; i++) {
            if ((b[i / 8] & (0x80 >>> (i % 8))) != 0) {
                throw new IllegalArgumentException("address has bits set beyond the /" + len + " prefix");
            }
        }
        return new IpSubnetFilterRule(a, len, IpFilterRuleType.ACCEPT);
    }

    private static int port(String p) {
        if (p.isEmpty() || p.length() > 5 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port must be a number 1..65535");
        }
        int port = Integer.parseInt(p);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be a number 1..65535");
        }
        return port;
    }

    private static String validName(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.length() > 253) {
            throw new IllegalArgumentException("not a host name");
        }
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || !label.chars().allMatch(c -> c >= 'a' && c <= 'z'
                    || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                throw new IllegalArgumentException("not a host name");
            }
        }
        if (NumericHost.endsInNumber(h)) {
            throw new IllegalArgumentException("looks like an IPv4 address in an unusual spelling; write it dotted-decimal");
        }
        return h;
    }

    private static String nameKey(String name, int port) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return n.toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static List<IpSubnetFilterRule> rules(String... cidrs) {
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (String c : cidrs) {
            int slash = c.indexOf('/');
            rules.add(cidr(c.substring(0, slash), c.substring(slash + 1)));
        }
        return List.copyOf(rules);
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress v4(byte a, byte b, byte c, byte d) {
        try {
            return InetAddress.getByAddress(new byte[] {a, b, c, d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return spec.isEmpty() ? "strict" : "strict+allow(" + spec + ")";
    }
}
