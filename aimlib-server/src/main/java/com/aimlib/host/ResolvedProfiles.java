package com.aimlib.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * TEMPORARY ADAPTER (issue 10): turns today's {@link DeviceProfiles#resolve} output into the flat resolved-profile
 * schema that the gateway will hand the host once profile resolution moves there (branch issue10-catalogue).
 * Everything that applies an identity ({@link IdentityParams}, {@link TargetIdentity}, the launch flags) reads only
 * the schema's keys, so this class and its small device table are deleted when the catalogue lands.
 */
final class ResolvedProfiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResolvedProfiles() {
    }

    /** The resolved profile for {@code legacy} (DeviceProfiles.resolve output) on an engine of {@code fullVersion} ("156.0.8078.108"). */
    static ObjectNode adapt(ObjectNode legacy, String fullVersion) {
        String major = fullVersion.split("\\.")[0];
        ObjectNode p = MAPPER.createObjectNode();
        String device = legacy.path("device").asText("pixel-8");
        boolean samsung = legacy.path("brand").asText("").equalsIgnoreCase("samsung");
        p.put("device", device);
        p.put("model", legacy.path("model").asText("Pixel 8"));
        p.put("brand", legacy.path("brand").asText("google"));
        p.put("manufacturer", legacy.path("manufacturer").asText("Google"));
        p.put("android_version", legacy.path("android_version").asText("14"));
        p.put("build_fingerprint", samsung ? "samsung/e3qxeea/e3q:14/UP1A.231005.007/S928BXXU1AXBG:user/release-keys"
                : "google/shiba/shiba:14/AP2A.240805.005/12025142:user/release-keys");
        p.put("security_patch", "2024-08-05");
        p.put("chrome_version", major);
        p.put("timezone", legacy.path("timezone").asText("UTC"));
        String locale = legacy.path("locale").asText("en-US");
        p.put("locale", locale);
        ArrayNode langs = p.putArray("languages");
        langs.add(locale);
        String base = locale.split("-")[0];
        if (!base.equals(locale)) {
            langs.add(base);
        }
        if (!base.equals("en")) {
            langs.add("en-US").add("en");
        }
        p.put("cores", legacy.path("cores").asInt(8));
        int ram = legacy.path("ram_gb").asInt(8);
        p.put("ram_gb", ram);
        p.put("device_memory", ram >= 8 ? 8 : ram >= 4 ? 4 : ram >= 2 ? 2 : 1);
        int sw = legacy.path("screen").path(0).asInt(1080);
        int sh = legacy.path("screen").path(1).asInt(2400);
        int dpi = legacy.path("dpi").asInt(420);
        double dpr = Math.round(dpi / 160.0 * 1000) / 1000.0;
        p.putArray("screen").add(sw).add(sh);
        p.put("dpi", dpi);
        p.put("dpr", dpr);
        int cw = (int) Math.round(sw / dpr);
        int ch = (int) Math.round(sh / dpr);
        p.putArray("css_screen").add(cw).add(ch);
        // Status bar (24 dp) and gesture navigation bar (48 dp) are not part of the layout viewport.
        p.putArray("viewport").add(cw).add(ch - 24 - 48);
        p.put("touch_points", legacy.path("touch_points").asInt(5));
        ObjectNode gl = p.putObject("webgl");
        gl.put("vendor", samsung ? "Qualcomm" : "ARM");
        gl.put("renderer", samsung ? "Adreno (TM) 750" : "Mali-G715");
        gl.put("max_texture_size", samsung ? 16384 : 8192);
        p.putArray("fonts").add("Roboto").add("Noto Sans").add("Noto Color Emoji").add("Droid Sans Mono").add("Cutive Mono");
        p.put("audio_sample_rate", 48000);
        p.put("storage_quota", 64L * 1024 * 1024 * 1024);
        p.putObject("battery").put("level", 0.78).put("charging", false);
        p.put("webrtc_block", legacy.path("webrtc_block").asBoolean(true));
        p.put("ipv6_block", legacy.path("ipv6_block").asBoolean(true));
        p.put("dns_leak_block", legacy.path("dns_leak_block").asBoolean(true));
        p.put("tls_randomize", false);
        p.put("user_agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + major
                + ".0.0.0 Mobile Safari/537.36");
        ObjectNode hints = p.putObject("ua_ch");
        hints.set("brands", brands(major, major));
        hints.set("full_version_list", brands(major, fullVersion));
        hints.put("full_version", fullVersion);
        hints.put("platform", "Android");
        hints.put("platform_version", p.path("android_version").asText() + ".0.0");
        hints.put("architecture", "");
        hints.put("bitness", "");
        hints.put("model", p.path("model").asText());
        hints.put("mobile", true);
        hints.put("wow64", false);
        hints.putArray("form_factors").add("Mobile");
        return p;
    }

    /**
     * Chrome's brand list for a major version: GREASE brand, "Chromium", "Google Chrome", permuted by the major
     * exactly as {@code GenerateBrandVersionList} in Chromium's components/embedder_support/user_agent_utils.cc does.
     */
    static ArrayNode brands(String major, String version) {
        int seed = Integer.parseInt(major);
        String[] chars = {" ", "(", ":", "-", ".", "/", ")", ";", "=", "?", "_"};
        String[] greased = {"8", "99", "24"};
        String grease = "Not" + chars[seed % chars.length] + "A" + chars[(seed + 1) % chars.length] + "Brand";
        String gv = greased[seed % greased.length];
        boolean full = version.contains(".");
        ObjectNode[] list = {brand(grease, full ? gv + ".0.0.0" : gv), brand("Chromium", version), brand("Google Chrome", version)};
        int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        int[] order = orders[seed % orders.length];
        ObjectNode[] shuffled = new ObjectNode[3];
        for (int i = 0; i < 3; i++) {
            shuffled[order[i]] = list[i];
        }
        ArrayNode out = MAPPER.createArrayNode();
        for (ObjectNode b : shuffled) {
            out.add(b);
        }
        return out;
    }

    private static ObjectNode brand(String name, String version) {
        return MAPPER.createObjectNode().put("brand", name).put("version", version);
    }
}
