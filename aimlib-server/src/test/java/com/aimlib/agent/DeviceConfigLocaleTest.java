package com.aimlib.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TimeZone;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What an agent reports as the phone's time zone: configured, else its own when it names a place, never a bare UTC. */
class DeviceConfigLocaleTest {
    private static DeviceConfig config(String timezone, String locale) {
        return new DeviceConfig(UUID.randomUUID(), "t", "default", null, null, null, 1, null, null, timezone, locale);
    }

    @Test
    void configuredValuesWinAnEmptyOneMeansNoneAndTheProcessZoneOnlyWhenItNamesAPlace() {
        TimeZone saved = TimeZone.getDefault();
        try {
            assertThat(config("America/Chicago", "es_MX").reportedTimezone()).isEqualTo("America/Chicago");
            assertThat(config(null, "es_MX").reportedLocale()).isEqualTo("es_MX");
            assertThat(config("", "").reportedTimezone()).isNull();
            assertThat(config("", "").reportedLocale()).isNull();
            TimeZone.setDefault(TimeZone.getTimeZone("Europe/Paris"));
            assertThat(config(null, null).reportedTimezone()).isEqualTo("Europe/Paris");
            for (String utc : new String[] {"UTC", "Etc/UTC", "GMT"}) {
                TimeZone.setDefault(TimeZone.getTimeZone(utc));
                assertThat(config(null, null).reportedTimezone()).as(utc).isNull();
            }
        } finally {
            TimeZone.setDefault(saved);
        }
    }
}
