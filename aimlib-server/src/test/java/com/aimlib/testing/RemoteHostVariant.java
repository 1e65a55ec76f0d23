package com.aimlib.testing;

import org.junit.jupiter.api.TestInfo;

/**
 * Marks a subclass of a browser test class that runs every inherited case again with the browser host on "another
 * machine" (issue 12: {@link BrowserFixture#remote}); the base class's {@code @BeforeAll} asks {@link #of}.
 */
public interface RemoteHostVariant {
    /** Whether the test class being run (maybe a subclass of the one declaring the {@code @BeforeAll}) is the remote variant. */
    static boolean of(TestInfo info) {
        return info.getTestClass().map(RemoteHostVariant.class::isAssignableFrom).orElse(false);
    }
}
