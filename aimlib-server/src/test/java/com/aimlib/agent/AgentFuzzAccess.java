package com.aimlib.agent;

/** Lets the tunnel's fuzz tests reach the agent's CONNECT authority parser. */
public final class AgentFuzzAccess {
    private AgentFuzzAccess() {
    }

    /** A parsed authority. */
    public record Parsed(String host, int port) {
    }

    public static Parsed parse(String authority) {
        AgentStreamHandler.HostPort p = AgentStreamHandler.HostPort.parse(authority);
        return p == null ? null : new Parsed(p.host(), p.port());
    }
}
