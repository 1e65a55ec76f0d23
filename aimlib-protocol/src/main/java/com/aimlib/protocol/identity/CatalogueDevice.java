package com.aimlib.protocol.identity;

import java.util.List;
import java.util.Map;

/**
 * One phone of the device catalogue ({@code devices.json}): what Chrome on that phone reports, as shipped with
 * its newest Android version. Field names are the JSON's, in snake_case.
 */
public record CatalogueDevice(String name, List<String> aliases, String model, String brand, String manufacturer,
                              List<String> androidVersions, String androidVersion, String securityPatch,
                              String buildFingerprint, Map<String, Build> builds, List<Integer> screen, int dpi,
                              double dpr, List<Integer> cssScreen, List<Integer> viewport, int touchPoints, int cores,
                              int ramGb, double deviceMemory, int storageGb, long storageQuota, Gpu gpu,
                              Map<String, Object> webgl, List<String> fonts, int audioSampleRate) {

    /** The build an Android version of this phone carries. */
    public record Build(String buildFingerprint, String securityPatch) {
    }

    /** WebGL's UNMASKED_VENDOR_WEBGL / UNMASKED_RENDERER_WEBGL on this phone. */
    public record Gpu(String vendor, String renderer) {
    }

    /** Status bar + Chrome's toolbar + navigation bar, in CSS pixels: what the viewport lacks of the screen. */
    public int systemBarsCss() {
        return cssScreen.get(1) - viewport.get(1);
    }
}
