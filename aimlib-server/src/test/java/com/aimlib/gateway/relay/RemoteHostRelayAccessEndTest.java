package com.aimlib.gateway.relay;

import com.aimlib.testing.RemoteHostVariant;

/** {@link RelayAccessEndTest} with the host on another machine (issue 12): lease end and suspension close relay connections to a remote host's browser. */
class RemoteHostRelayAccessEndTest extends RelayAccessEndTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
