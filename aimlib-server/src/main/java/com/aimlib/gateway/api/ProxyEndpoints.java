package com.aimlib.gateway.api;

import java.util.function.IntSupplier;

/**
 * Where customers reach the proxy front: the public host name and the ports actually bound (read
 * lazily, since tests bind port 0 and the listeners start after the routes are registered). The SOCKS5
 * port is the unified one: it serves HTTP proxy clients too ({@code ProxyProtocolDetector}).
 */
public record ProxyEndpoints(String publicHost, IntSupplier socksPort, IntSupplier httpPort) {

    /** {@code socks5h://user:pass@host:port} or {@code http://user:pass@host:port}. */
    public String url(String protocol, String username, String password) {
        return "socks5".equals(protocol)
                ? "socks5h://" + username + ":" + password + "@" + publicHost + ":" + socksPort.getAsInt()
                : "http://" + username + ":" + password + "@" + publicHost + ":" + httpPort.getAsInt();
    }

    /** {@code http://user:pass@host:port} on the unified port. */
    public String unifiedHttpUrl(String username, String password) {
        return "http://" + username + ":" + password + "@" + publicHost + ":" + socksPort.getAsInt();
    }

    /** {@code socks5h://user:pass@host:port} on the unified port. */
    public String unifiedSocks5hUrl(String username, String password) {
        return "socks5h://" + username + ":" + password + "@" + publicHost + ":" + socksPort.getAsInt();
    }
}
