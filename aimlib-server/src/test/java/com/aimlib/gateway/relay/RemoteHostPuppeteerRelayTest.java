package com.aimlib.gateway.relay;

import com.aimlib.testing.RemoteHostVariant;

/** {@link PuppeteerRelayTest} with the host on another machine (issue 12): puppeteer-core drives a remote host's browser through the gateway relay. */
class RemoteHostPuppeteerRelayTest extends PuppeteerRelayTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
