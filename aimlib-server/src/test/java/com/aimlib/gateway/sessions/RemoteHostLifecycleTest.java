package com.aimlib.gateway.sessions;

import com.aimlib.testing.RemoteHostVariant;

/**
 * {@link BrowserLifecycleTest} again with the host on "another machine" (issue 12): the same in-JVM host wired only over
 * HTTP (RemoteGatewayLink reports, RemoteHostLink orders, CDP through the host's relay endpoint). Every case passes for
 * both links: TTL, idle, lease end (reaper and admin API), pre-binding, a host that stops beating, a crashed browser, the
 * bridge's data cap.
 */
class RemoteHostLifecycleTest extends BrowserLifecycleTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
