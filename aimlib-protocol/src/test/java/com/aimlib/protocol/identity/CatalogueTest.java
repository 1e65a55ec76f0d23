package com.aimlib.protocol.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bundled catalogue is complete and every entry is internally consistent (tools/catalogue/devices.py check). */
class CatalogueTest {
    private final DeviceCatalogue catalogue = DeviceCatalogue.bundled();

    @Test
    void holdsAtLeastTwentyPhonesFromSeveralMakers() {
        assertThat(catalogue.version()).matches("\\d{4}\\.\\d{2}");
        assertThat(catalogue.devices()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(catalogue.devices().stream().map(CatalogueDevice::manufacturer).distinct().count()).isGreaterThanOrEqualTo(5);
        for (String n : List.of("pixel-7", "pixel-7a", "pixel-8", "pixel-8a", "pixel-8-pro", "pixel-9", "pixel-9-pro",
                "galaxy-s23", "galaxy-s24", "galaxy-s24-ultra", "galaxy-a15", "galaxy-a35", "galaxy-a55", "xiaomi-14",
                "redmi-note-13-pro", "oneplus-12", "motorola-edge-40", "moto-g84")) {
            assertThat(catalogue.find(n)).as(n).isPresent();
        }
    }

    @Test
    void namesAndAliasesAreUniqueAcrossEntries() {
        Map<String, String> seen = new HashMap<>();
        for (CatalogueDevice d : catalogue.devices()) {
            assertThat(d.name()).matches("[a-z0-9]+(-[a-z0-9]+)*");
            for (String k : concat(d.name(), d.aliases())) {
                String prev = seen.putIfAbsent(DeviceCatalogue.key(k), d.name());
                assertThat(prev == null || prev.equals(d.name())).as(k + " names " + prev + " and " + d.name()).isTrue();
            }
        }
    }

    @Test
    void everyEntryIsInternallyConsistent() {
        for (CatalogueDevice d : catalogue.devices()) {
            String n = d.name();
            assertThat(d.screen().get(0)).as(n + " portrait").isLessThan(d.screen().get(1));
            assertThat(d.dpr()).as(n + " dpr = dpi/160").isCloseTo(d.dpi() / 160.0, org.assertj.core.data.Offset.offset(0.01));
            for (int i = 0; i < 2; i++) {
                // Chrome reports the CSS screen rounded up (Pixel 7: 1080 / 2.625 = 411.4 -> 412).
                assertThat(d.cssScreen().get(i)).as(n + " css_screen").isEqualTo((int) Math.ceil(d.screen().get(i) / d.dpr() - 1e-9));
            }
            assertThat(d.viewport().get(0)).as(n + " viewport width").isEqualTo(d.cssScreen().get(0));
            assertThat(d.viewport().get(1)).as(n + " viewport height").isLessThan(d.cssScreen().get(1)).isGreaterThan(d.cssScreen().get(1) - 160);
            assertThat(d.deviceMemory()).as(n + " deviceMemory bucket").isIn(0.25, 0.5, 1.0, 2.0, 4.0, 8.0);
            assertThat(d.deviceMemory()).as(n + " deviceMemory from ram").isEqualTo(ProfileResolver.deviceMemory(d.ramGb()));
            assertThat(d.cores()).isBetween(4, 12);
            assertThat(d.touchPoints()).isIn(5, 10);
            assertThat(d.audioSampleRate()).isEqualTo(48000);
            assertThat(d.storageQuota()).as(n + " quota below storage").isPositive().isLessThan(d.storageGb() * 1_000_000_000L);
            assertThat(d.androidVersions()).as(n + " versions").isNotEmpty().allSatisfy(v -> assertThat(Integer.parseInt(v)).isBetween(10, 16));
            assertThat(d.androidVersion()).isEqualTo(d.androidVersions().getLast());
            assertThat(d.builds().keySet()).containsExactlyInAnyOrderElementsOf(d.androidVersions());
            d.builds().forEach((v, b) -> {
                assertThat(b.buildFingerprint()).as(n + " build of " + v).contains(":" + v + "/").endsWith(":user/release-keys");
                assertThat(b.securityPatch()).matches("\\d{4}-\\d{2}-\\d{2}");
            });
            assertThat(d.buildFingerprint()).isEqualTo(d.builds().get(d.androidVersion()).buildFingerprint());
            assertThat(d.gpu().renderer()).as(n + " gpu").containsAnyOf("Adreno (TM)", "Mali-", "Xclipse");
            assertThat(d.gpu().vendor()).isIn("Qualcomm", "ARM", "Samsung Electronics Co., Ltd.");
            if (d.gpu().vendor().equals("Qualcomm")) {
                assertThat(d.gpu().renderer()).startsWith("Adreno (TM) ");
            }
            assertThat(d.webgl()).containsKeys("max_texture_size", "max_renderbuffer_size", "max_viewport_dims",
                    "max_vertex_attribs", "max_texture_image_units", "aliased_line_width_range", "aliased_point_size_range");
            assertThat(d.fonts()).contains("Roboto", "Noto Color Emoji");
            if (d.manufacturer().equals("samsung")) {
                assertThat(d.fonts()).contains("SamsungOne");
            }
        }
    }

    @Test
    void findsByNameOrAliasIgnoringCaseSpacesAndUnderscores() {
        assertThat(catalogue.find("Pixel 8").orElseThrow().name()).isEqualTo("pixel-8");
        assertThat(catalogue.find("pixel_8_pro").orElseThrow().name()).isEqualTo("pixel-8-pro");
        assertThat(catalogue.find("  GALAXY S24 ULTRA ").orElseThrow().name()).isEqualTo("galaxy-s24-ultra");
        assertThat(catalogue.find("sm-s928b").orElseThrow().name()).isEqualTo("galaxy-s24-ultra");
        assertThat(catalogue.find("iphone-15")).isEmpty();
        assertThat(catalogue.find("random")).isEmpty();
    }

    @Test
    void randomDrawsEveryEntry() {
        var rnd = new java.util.Random(7);
        Set<String> drawn = new java.util.HashSet<>();
        for (int i = 0; i < 2000; i++) {
            drawn.add(catalogue.random(rnd).name());
        }
        assertThat(drawn).hasSize(catalogue.devices().size());
    }

    private static List<String> concat(String first, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), rest.stream()).toList();
    }
}
