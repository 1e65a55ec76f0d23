package com.aimlib.gateway.sessions;

import com.aimlib.host.ChromiumVersion;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.protocol.identity.ProfileResolver;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;

/**
 * Resolves a session's profile in its create transaction, once its host is chosen: against the Chromium that host
 * registered with, in the device's own time zone and locale (an operator sets them per device), else its region's,
 * else UTC and en-US. {@code random} is drawn here, so it stays fixed for the session.
 */
final class SessionProfiles {
    /** Region → time zone and locale, for devices whose operator set neither; matched on the region's first token. */
    private static final Map<String, String[]> REGIONS = Map.ofEntries(
            Map.entry("us-east", new String[] {"America/New_York", "en-US"}),
            Map.entry("us-central", new String[] {"America/Chicago", "en-US"}),
            Map.entry("us-west", new String[] {"America/Los_Angeles", "en-US"}),
            Map.entry("ca", new String[] {"America/Toronto", "en-CA"}),
            Map.entry("mx", new String[] {"America/Mexico_City", "es-MX"}),
            Map.entry("br", new String[] {"America/Sao_Paulo", "pt-BR"}),
            Map.entry("uk", new String[] {"Europe/London", "en-GB"}),
            Map.entry("gb", new String[] {"Europe/London", "en-GB"}),
            Map.entry("eu-west", new String[] {"Europe/Dublin", "en-IE"}),
            Map.entry("eu-central", new String[] {"Europe/Berlin", "de-DE"}),
            Map.entry("de", new String[] {"Europe/Berlin", "de-DE"}),
            Map.entry("fr", new String[] {"Europe/Paris", "fr-FR"}),
            Map.entry("es", new String[] {"Europe/Madrid", "es-ES"}),
            Map.entry("it", new String[] {"Europe/Rome", "it-IT"}),
            Map.entry("nl", new String[] {"Europe/Amsterdam", "nl-NL"}),
            Map.entry("pl", new String[] {"Europe/Warsaw", "pl-PL"}),
            Map.entry("in", new String[] {"Asia/Kolkata", "en-IN"}),
            Map.entry("jp", new String[] {"Asia/Tokyo", "ja-JP"}),
            Map.entry("sg", new String[] {"Asia/Singapore", "en-SG"}),
            Map.entry("au", new String[] {"Australia/Sydney", "en-AU"}));
    private static final String[] UNKNOWN = {"UTC", "en-US"};

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
        String[] byRegion = defaults(region);
        return resolver.resolve(overrides, new ProfileResolver.Context(
                deviceTimezone != null ? deviceTimezone : byRegion[0], deviceLocale != null ? deviceLocale : byRegion[1],
                chrome != null ? chrome : localVersion(), ThreadLocalRandom.current()));
    }

    /** The time zone and locale of a region: an IANA zone used as a region name, a known region, else UTC/en-US. */
    static String[] defaults(String region) {
        if (region == null) {
            return UNKNOWN;
        }
        if (ZoneId.getAvailableZoneIds().contains(region)) {
            return new String[] {region, "en-US"};
        }
        String r = region.toLowerCase(Locale.ROOT);
        return Optional.ofNullable(REGIONS.get(r))
                .or(() -> REGIONS.entrySet().stream().filter(e -> r.startsWith(e.getKey() + "-")).map(Map.Entry::getValue).findFirst())
                .orElse(UNKNOWN);
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
