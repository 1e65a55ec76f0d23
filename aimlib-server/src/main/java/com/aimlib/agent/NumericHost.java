package com.aimlib.agent;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Host names that are IPv4 addresses in another spelling: {@code 2130706433}, {@code 0x7f.1}, {@code 127.1},
 * {@code 0177.0.0.1}, {@code 127.0.0.1.}. Resolvers disagree about them (glibc reads {@code 0177} as octal, the
 * JDK as decimal), so the agent reads them itself the way {@code inet_aton} and browsers (WHATWG URL) do and
 * never hands them to a resolver.
 */
final class NumericHost {
    private NumericHost() {
    }

    /** Whether the last label (ignoring one trailing dot) is a number, so the name can only mean an IPv4 address. */
    static boolean endsInNumber(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String last = h.substring(h.lastIndexOf('.') + 1);
        return !last.isEmpty() && (last.chars().allMatch(c -> c >= '0' && c <= '9') || hex(last));
    }

    /** The address a numeric host stands for; null when it is not a valid one (too many parts, out of range). */
    static InetAddress parse(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String[] parts = h.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] n = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            n[i] = number(parts[i]);
            if (n[i] < 0 || i < parts.length - 1 && n[i] > 255) {
                return null;
            }
        }
        long last = n[parts.length - 1];
        if (last >= 1L << (8 * (5 - parts.length))) {
            return null;
        }
        long value = last;
        for (int i = 0; i < parts.length - 1; i++) {
            value |= n[i] << (8 * (3 - i));
        }
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One part: {@code 0x} hex, leading-zero octal, or decimal; -1 when none of these or above 2^32. */
    private static long number(String p) {
        int radix = 10;
        String digits = p;
        if (hex(p)) {
            radix = 16;
            digits = p.substring(2);
            if (digits.isEmpty()) {
                return 0;
            }
        } else if (p.length() > 1 && p.charAt(0) == '0') {
            radix = 8;
            digits = p.substring(1);
        }
        if (digits.isEmpty() || digits.length() > 32) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = Character.digit(digits.charAt(i), radix);
            if (d < 0) {
                return -1;
            }
            v = v * radix + d;
            if (v > 0xFFFFFFFFL) {
                return -1;
            }
        }
        return v;
    }

    private static boolean hex(String p) {
        return p.length() >= 2 && p.charAt(0) == '0' && (p.charAt(1) == 'x' || p.charAt(1) == 'X')
                && p.chars().skip(2).allMatch(c -> Character.digit(c, 16) >= 0);
    }
}
