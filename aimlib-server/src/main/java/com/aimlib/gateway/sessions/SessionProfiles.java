package com.aimlib.gateway.sessions;

import com.aimlib.protocol.host.ChromiumVersion;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.protocol.identity.ProfileResolver;
import com.aimlib.protocol.identity.RegionDefaults;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;

/**
 * Resolves a session's profile in its create transaction, once its host is chosen: against the Chromium that host
 * registered with, in the device's own time zone and locale (an operator sets them per device), else its region's
 * ({@link RegionDefaults}). {@code random} is drawn here, so it stays fixed for the session.
 */
final class SessionProfiles {
    private final ProfileResolver resolver = new ProfileResolver(DeviceCatalogue.bundled());
    private final Path localChromium;
    private volatile String localVersion;

    /** {@code localChromium} answers for a host that registered without a version (one from before issue 10). */
    SessionProfiles(Path localChromium) {
        this.localChromium = localChromium;
    }

    ObjectNode resolve(Handle h, UUID hostId, String region, String deviceTimezone, String deviceLocale, ObjectNode overrides) {
        String chrome = h.createQuery("SELECT chrome_version FROM browser_hosts WHERE id = :h").bind("h", hostId)
                .mapTo(String.class).findOne().orElse(null);
        String[] byRegion = RegionDefaults.of(region);
        return resolver.resolve(overrides, new ProfileResolver.Context(
                deviceTimezone != null ? deviceTimezone : byRegion[0], deviceLocale != null ? deviceLocale : byRegion[1],
                chrome != null ? chrome : localVersion(), ThreadLocalRandom.current()));
    }

    private String localVersion() {
        String v = localVersion;
        if (v == null) {
            v = ChromiumVersion.of(localChromium);
            localVersion = v;
        }
        return v;
    }
}
