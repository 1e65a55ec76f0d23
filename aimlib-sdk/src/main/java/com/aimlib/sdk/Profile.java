package com.aimlib.sdk;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed device-profile overrides: the seven documented fields ({@code device, timezone, locale, cores,
 * ram_gb, screen, dpi}). A field left unset is not sent and keeps the profile's default; {@code screen} is
 * sent as a JSON array {@code [width, height]}. For any other allow-listed key pass a {@code Map} to
 * {@link BrowserOptions.Builder#profile(Map)}.
 *
 * <pre>{@code
 * Profile p = Profile.builder().device("pixel-8-pro").timezone("America/Los_Angeles").screen(1440, 3120).build();
 * }</pre>
 */
public final class Profile {
    private final Map<String, Object> fields;

    private Profile(Map<String, Object> fields) {
        this.fields = Collections.unmodifiableMap(fields);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The JSON object sent as {@code profile}, in the documented field order, unset fields left out. */
    public Map<String, Object> toMap() {
        return fields;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Profile p && p.fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return "Profile" + fields;
    }

    /** Collects the fields of a {@link Profile}. */
    public static final class Builder {
        private String device;
        private String timezone;
        private String locale;
        private Integer cores;
        private Integer ramGb;
        private List<Integer> screen;
        private Integer dpi;

        private Builder() {
        }

        /** A standardised device name, e.g. {@code "pixel-8-pro"}, {@code "galaxy-s24-ultra"}, {@code "random"}. */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /** An IANA time zone, e.g. {@code "America/Los_Angeles"}. */
        public Builder timezone(String timezone) {
            this.timezone = timezone;
            return this;
        }

        /** A locale, e.g. {@code "en-US"}. */
        public Builder locale(String locale) {
            this.locale = locale;
            return this;
        }

        /** Virtual CPU cores. */
        public Builder cores(int cores) {
            this.cores = cores;
            return this;
        }

        /** Virtual RAM in GiB (sent as {@code ram_gb}). */
        public Builder ramGb(int ramGb) {
            this.ramGb = ramGb;
            return this;
        }

        /** The resolution, sent as {@code [width, height]}. */
        public Builder screen(int width, int height) {
            this.screen = List.of(width, height);
            return this;
        }

        /** Display DPI. */
        public Builder dpi(int dpi) {
            this.dpi = dpi;
            return this;
        }

        public Profile build() {
            Map<String, Object> m = new LinkedHashMap<>();
            put(m, "device", device);
            put(m, "timezone", timezone);
            put(m, "locale", locale);
            put(m, "cores", cores);
            put(m, "ram_gb", ramGb);
            put(m, "screen", screen);
            put(m, "dpi", dpi);
            return new Profile(m);
        }

        private static void put(Map<String, Object> m, String key, Object value) {
            if (value != null) {
                m.put(key, value);
            }
        }
    }
}
