package com.aimlib.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.stream.Stream;

/**
 * A name only the device side can resolve: {@value #NAME} resolves to 127.0.0.1 inside the test JVM (where the
 * in-process device agent resolves the names it connects to) and nowhere else — not for Chromium, a separate
 * process with its own resolver. Every other name goes to the system resolver.
 */
public final class DeviceOnlyNames extends InetAddressResolverProvider {
    public static final String NAME = "device-only.test";

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver system = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                return NAME.equalsIgnoreCase(host) ? Stream.of(InetAddress.getByAddress(NAME, new byte[] {127, 0, 0, 1}))
                        : system.lookupByName(host, policy);
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                return system.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "device-only-names";
    }
}
