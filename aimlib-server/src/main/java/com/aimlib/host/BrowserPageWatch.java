package com.aimlib.host;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes every tab of a session's browser that shows a browser-internal or host page ({@code chrome://extensions},
 * {@code chrome://settings}, {@code devtools://}, {@code file://} …) the moment it appears. The relay refuses such
 * navigations from CDP, but an extension can open them with {@code chrome.tabs.create} (tried: Chromium 156 opens
 * chrome://extensions for any extension), and a CDP client attached to chrome://extensions could turn the
 * extension's file access back on. Held by the host, on its own browser-level connection, for sessions with extensions.
 */
final class BrowserPageWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrowserPageWatch.class);
    /** Schemes a tab may show; chrome-error is Chromium's page for a failed load. */
    private static final Set<String> ALLOWED = Set.of("http", "https", "about", "data", "blob", "chrome-extension", "chrome-error");

    private final CdpClient cdp;
    private final java.util.UUID session;

    private BrowserPageWatch(CdpClient cdp, java.util.UUID session) {
        this.cdp = cdp;
        this.session = session;
    }

    static BrowserPageWatch start(URI browser, java.util.UUID session) throws IOException, InterruptedException {
        CdpClient cdp = CdpClient.connect(browser, Duration.ofSeconds(10));
        BrowserPageWatch w = new BrowserPageWatch(cdp, session);
        cdp.onEvent(w::event);
        try {
            cdp.call("Target.setDiscoverTargets", CdpClient.params().put("discover", true), null, Duration.ofSeconds(10));
        } catch (IOException | InterruptedException e) {
            cdp.close();
            throw e;
        }
        return w;
    }

    /** Runs on the socket's thread: never waits for an answer. */
    private void event(JsonNode e) {
        String method = e.path("method").asText();
        if (!method.equals("Target.targetCreated") && !method.equals("Target.targetInfoChanged")) {
            return;
        }
        JsonNode info = e.path("params").path("targetInfo");
        if (!"page".equals(info.path("type").asText()) || allowed(info.path("url").asText())) {
            return;
        }
        log.warn("closing a browser-internal tab session={} scheme={}", session, scheme(info.path("url").asText()));
        cdp.send("Target.closeTarget", CdpClient.params().put("targetId", info.path("targetId").asText()), null);
    }

    static boolean allowed(String url) {
        return url.isEmpty() || ALLOWED.contains(scheme(url));
    }

    private static String scheme(String url) {
        int colon = url.indexOf(':');
        return colon < 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        cdp.close();
    }
}
