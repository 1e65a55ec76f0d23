package com.aimlib.gateway.sessions;

import com.aimlib.testing.RemoteHostVariant;

/**
 * {@link SavedContextsTest} with the host on another machine (issue 12): the saved context travels to the host in the
 * boot order and comes back from it over the host's API (save-state), persisting stop and the 413 cap included.
 */
class RemoteHostSavedContextsTest extends SavedContextsTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
