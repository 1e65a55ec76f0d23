package com.aimlib.gateway.extensions;

import com.aimlib.testing.RemoteHostVariant;

/** {@link ExtensionsTest} with the host on another machine (issue 12): the extensions travel in the boot order. */
class RemoteHostExtensionsTest extends ExtensionsTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
