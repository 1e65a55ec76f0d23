package com.aimlib.gateway.sessions;

import com.aimlib.testing.RemoteHostVariant;

/**
 * {@link SessionAdoptionTest} again with the host on "another machine" (issue 12): adoption of an idle booted session
 * sends the remote host a resume (same profile) or a restart (another profile) over its API.
 */
class RemoteHostAdoptionTest extends SessionAdoptionTest implements RemoteHostVariant {
    @org.junit.jupiter.api.Test
    void theHostIsReachedOverHttpOnly() {
        fx.assertRemoteHost();
    }
}
