package com.aimlib.sdk;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Playwright side of a session, in its own class so that only sessions that connect load Playwright.
 * Playwright objects are not thread-safe: {@link BrowserSession} calls this under its lock.
 */
final class CdpConnection implements AutoCloseable {
    private final Playwright playwright;
    private final Browser browser;
    private boolean initialTabHandedOut;

    private CdpConnection(Playwright playwright, Browser browser) {
        this.playwright = playwright;
        this.browser = browser;
    }

    /** Connects over the relay's HTTP discovery URL with the connect token as bearer. */
    static CdpConnection open(String discoveryUrl, String token, long timeoutMillis) {
        Map<String, String> env = new HashMap<>(System.getenv());
        // Connecting over CDP never launches a local browser, so there is nothing to download.
        env.putIfAbsent("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Playwright pw;
        try {
            pw = Playwright.create(new Playwright.CreateOptions().setEnv(env));
        } catch (PlaywrightException e) {
            throw new AimlibException("cannot start Playwright: " + e.getMessage(), e);
        }
        try {
            Browser b = pw.chromium().connectOverCDP(discoveryUrl, new BrowserType.ConnectOverCDPOptions()
                    .setHeaders(Map.of("Authorization", "Bearer " + token)).setTimeout(Math.max(1, timeoutMillis)));
            return new CdpConnection(pw, b);
        } catch (PlaywrightException e) {
            pw.close();
            throw new AimlibException("CDP connect to " + discoveryUrl + " failed: " + e.getMessage(), e);
        }
    }

    Browser browser() {
        return browser;
    }

    /** The initial tab on the first call, then a new tab while fewer than {@code maxTabs} are open. */
    Page newPage(int maxTabs) {
        BrowserContext ctx = browser.contexts().isEmpty() ? browser.newContext() : browser.contexts().get(0);
        List<Page> open = ctx.pages();
        if (!initialTabHandedOut) {
            initialTabHandedOut = true;
            if (!open.isEmpty()) {
                return open.get(0);
            }
        }
        if (open.size() >= maxTabs) {
            throw new TabLimitException("session has " + open.size() + " open tabs, its max_tabs is " + maxTabs
                    + ": close a page or start a separate session");
        }
        return ctx.newPage();
    }

    @Override
    public void close() {
        try {
            browser.close();
        } catch (RuntimeException ignored) {
            // best effort: the relay may already be gone
        }
        try {
            playwright.close();
        } catch (RuntimeException ignored) {
            // best effort
        }
    }
}
