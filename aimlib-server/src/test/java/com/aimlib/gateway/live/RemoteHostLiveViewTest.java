package com.aimlib.gateway.live;

import com.aimlib.testing.RemoteHostVariant;

/** {@link LiveViewTest} with the host on another machine (issue 12): live view (screencast and input) reaches the tab through the host's relay endpoint. */
class RemoteHostLiveViewTest extends LiveViewTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
