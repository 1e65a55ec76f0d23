package com.aimlib.agent;

import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;

/**
 * Where a device's connections leave from. Written as:
 * <ul>
 *   <li>empty or {@code default}: the machine's default route (the demo device);</li>
 *   <li>an IP literal ({@code 127.0.0.2}, {@code 10.42.0.7}): that source address;</li>
 *   <li>{@code if:<name>} ({@code if:usb0}): the interface's current IPv4 address, looked up again after
 *       every rotation, since a phone gets a new one when it reconnects;</li>
 *   <li>{@code file:<path>}: the address written in that file, read again after every rotation (for
 *       set-ups where a script manages the source address; the tests use it).</li>
 * </ul>
 * With policy routing per source address, binding the source is what makes the kernel pick the device's route.
 */
public record EgressBinding(String spec) {

    public EgressBinding {
        spec = spec == null ? "" : spec.trim();
        if (!spec.isEmpty() && !spec.equals("default") && !spec.startsWith("if:") && !spec.startsWith("file:")
                && !NetUtil.isValidIpV4Address(spec) && !NetUtil.isValidIpV6Address(spec)) {
            throw new IllegalArgumentException("binding must be an IP address, if:<interface>, file:<path> or default");
        }
    }

    /** The source address now, or null for the default route. Blocking (file or interface lookup). */
    public InetAddress resolve() throws IOException {
        if (spec.isEmpty() || spec.equals("default")) {
            return null;
        }
        if (spec.startsWith("if:")) {
            NetworkInterface nic = NetworkInterface.getByName(spec.substring(3));
            if (nic == null) {
                throw new SocketException("no interface " + spec.substring(3));
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address) {
                    return a;
                }
            }
            throw new SocketException("interface " + spec.substring(3) + " has no IPv4 address");
        }
        String literal = spec.startsWith("file:") ? Files.readString(Path.of(spec.substring(5))).trim() : spec;
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(literal);
        if (address == null) {
            throw new IOException("not an IP address: " + literal);
        }
        return address;
    }
}
