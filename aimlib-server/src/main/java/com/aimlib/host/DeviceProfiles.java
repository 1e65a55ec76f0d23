package com.aimlib.host;

import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.protocol.identity.ProfileResolver;
import com.aimlib.protocol.identity.RegionDefaults;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Random;

/**
 * Reads a session's resolved profile, which the gateway resolved at create time (see
 * {@link com.aimlib.protocol.identity.ProfileResolver}); the host resolves nothing itself except the defaults its
 * warm browsers start with.
 */
public final class DeviceProfiles {
    private DeviceProfiles() {
    }

    /**
     * The profile a session without overrides gets on a device of the host's region that has no time zone or
     * locale of its own: what warm browsers are launched with, so such sessions can adopt one.
     */
    public static ObjectNode defaults(String region, String chromeFullVersion) {
        String[] zoneAndLocale = RegionDefaults.of(region);
        return new ProfileResolver(DeviceCatalogue.bundled()).resolve(JsonNodeFactory.instance.objectNode(),
                new ProfileResolver.Context(zoneAndLocale[0], zoneAndLocale[1], chromeFullVersion, new Random(0)));
    }
}
