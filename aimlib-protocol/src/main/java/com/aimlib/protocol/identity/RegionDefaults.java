package com.aimlib.protocol.identity;

import java.time.ZoneId;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The time zone and locale of a device region, for a device whose own are not known: an IANA zone used as a
 * region name, a known region (matched on its first token, "us-east-1" → "us-east"), else UTC and en-US.
 */
public final class RegionDefaults {
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

    private RegionDefaults() {
    }

    /** The time zone and locale of a region: an IANA zone used as a region name, a known region, else UTC/en-US. */
    public static String[] of(String region) {
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
}
