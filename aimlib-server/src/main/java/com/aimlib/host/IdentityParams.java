package com.aimlib.host;

import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a resolved profile means to Chromium: the process-wide launch flags and environment, the per-target CDP
 * parameters and script come from {@link TargetOverrides} (shared with the relay). Reads only the resolved-profile schema's keys.
 */
final class IdentityParams {
    /** Real 64-bit Chrome on a 64-bit-only Android phone (every device of the catalogue) reports this. */
    static final String NAVIGATOR_PLATFORM = TargetOverrides.NAVIGATOR_PLATFORM;

    private final ObjectNode profile;

    IdentityParams(ObjectNode profile) {
        this.profile = profile;
    }

    ObjectNode profile() {
        return profile;
    }

    /** Launch flags that are process-wide (everything else is applied per target). */
    List<String> flags() {
        List<String> f = new ArrayList<>();
        // Blink's runtime features as Android Chrome ships them: no automation flag, no audio output device selection
        // (HTMLMediaElement.sinkId); window.orientation with onorientationchange, and NetworkInformation's type,
        // downlinkMax and ontypechange.
        f.add("--disable-blink-features=AutomationControlled,AudioOutputDevices");
        f.add("--enable-blink-features=OrientationEvent,NetInfoDownlinkMax");
        f.add("--user-agent=" + clean(profile.path("user_agent").asText()));
        int[] vp = pair("viewport");
        f.add("--window-size=" + vp[0] + "," + vp[1]);
        // The headless screen itself (physical pixels and DPR; portrait because taller than wide): what out-of-process
        // iframes report, since Emulation.setDeviceMetricsOverride reaches only the page's own frame tree.
        int[] screen = pair("screen");
        f.add("--screen-info={0,0 " + screen[0] + "x" + screen[1] + " devicePixelRatio=" + profile.path("dpr").asDouble(2.625) + "}");
        String langs = languages();
        if (!langs.isEmpty()) {
            f.add("--lang=" + clean(profile.path("languages").path(0).asText()));
            f.add("--accept-lang=" + langs);
        }
        if (profile.path("webrtc_block").asBoolean(true)) {
            f.add("--force-webrtc-ip-handling-policy=disable_non_proxied_udp");
            f.add("--webrtc-ip-handling-policy=disable_non_proxied_udp");
        }
        if (profile.path("dns_leak_block").asBoolean(true)) {
            // Every name must resolve at the proxy (the device): no prefetch, no local resolver in use at all.
            f.add("--dns-prefetch-disable");
            f.add("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost");
        }
        return f;
    }

    /** The phone's font families (resolved_profile.fonts). */
    List<String> fonts() {
        List<String> l = new ArrayList<>();
        profile.path("fonts").forEach(n -> l.add(n.asText()));
        return l;
    }

    /** Chromium's environment: the time zone (Date, Intl, and every worker follow TZ). */
    String timezone() {
        return clean(profile.path("timezone").asText("UTC"));
    }

    /** navigator.languages, comma-separated, as --accept-lang wants it (Chromium adds the q-values). */
    String languages() {
        return TargetOverrides.languages(profile);
    }

    private int[] pair(String key) {
        return TargetOverrides.pair(profile, key);
    }

    /** Keeps a value safe for a command-line flag or an environment variable. */
    static String clean(String s) {
        return TargetOverrides.clean(s);
    }

}
