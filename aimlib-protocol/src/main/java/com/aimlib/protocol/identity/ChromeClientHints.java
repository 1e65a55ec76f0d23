package com.aimlib.protocol.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What Chrome for Android of a given version sends: the reduced User-Agent and the UA-CH metadata, with the
 * GREASE brand and brand order Chrome derives from its major version
 * ({@code components/embedder_support/user_agent_utils.cc}, {@code GetGreasedUserAgentBrandVersion}).
 */
public final class ChromeClientHints {
    private static final String[] GREASE_CHARS = {" ", "(", ":", "-", ".", "/", ")", ";", "=", "?", "_"};
    private static final String[] GREASE_VERSIONS = {"8", "99", "24"};
    private static final int[][] ORDERS = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

    private ChromeClientHints() {
    }

    /** The reduced Android User-Agent: the real major, everything else frozen. */
    public static String userAgent(int major) {
        return "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + major
                + ".0.0.0 Mobile Safari/537.36";
    }

    /** {@code "Not:A-Brand"} for 156: the GREASE brand of a major version. */
    public static String greaseBrand(int major) {
        return "Not" + GREASE_CHARS[major % 11] + "A" + GREASE_CHARS[(major + 1) % 11] + "Brand";
    }

    public static String greaseVersion(int major) {
        return GREASE_VERSIONS[major % 3];
    }

    /** navigator.userAgentData's high-entropy values, as {@code getHighEntropyValues} returns them. */
    public static ObjectNode uaCh(String fullVersion, String model, String androidVersion) {
        int major = Integer.parseInt(fullVersion.split("\\.")[0]);
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode out = f.objectNode();
        out.set("brands", brands(major, String.valueOf(major), greaseVersion(major)));
        out.set("full_version_list", brands(major, fullVersion, greaseVersion(major) + ".0.0.0"));
        out.put("full_version", fullVersion);
        out.put("platform", "Android");
        out.put("platform_version", androidVersion + ".0.0");
        out.put("architecture", "");
        out.put("bitness", "");
        out.put("model", model);
        out.put("mobile", true);
        out.put("wow64", false);
        out.set("form_factors", f.arrayNode().add("Mobile"));
        return out;
    }

    private static ArrayNode brands(int major, String chromeVersion, String greaseVersion) {
        ObjectNode[] slots = new ObjectNode[3];
        int[] order = ORDERS[major % 6];
        slots[order[0]] = brand(greaseBrand(major), greaseVersion);
        slots[order[1]] = brand("Chromium", chromeVersion);
        slots[order[2]] = brand("Google Chrome", chromeVersion);
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (ObjectNode s : slots) {
            list.add(s);
        }
        return list;
    }

    private static ObjectNode brand(String brand, String version) {
        return JsonNodeFactory.instance.objectNode().put("brand", brand).put("version", version);
    }
}
