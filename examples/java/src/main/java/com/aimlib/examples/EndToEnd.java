package com.aimlib.examples;

import com.aimlib.sdk.Aimlib;
import com.aimlib.sdk.BrowserOptions;
import com.aimlib.sdk.BrowserSession;
import com.aimlib.sdk.Device;
import com.aimlib.sdk.Profile;
import com.microsoft.playwright.Page;
import java.util.List;

/**
 * The customer documentation's End-to-End Example in Java: pick a leased device, boot a stealth browser,
 * scrape a page. Reads {@code AIMLIB_API_KEY} and {@code AIMLIB_BASE_URL}; the two target URLs may be given
 * as arguments (default {@code https://example.com} and {@code https://httpbin.org/ip}).
 */
public final class EndToEnd {
    private EndToEnd() {
    }

    public static void main(String[] args) {
        String pageUrl = args.length > 0 ? args[0] : "https://example.com";
        String ipUrl = args.length > 1 ? args[1] : "https://httpbin.org/ip";
        try (Aimlib ai = Aimlib.fromEnvironment()) {
            List<Device> devices = ai.devices().list();
            if (devices.isEmpty()) {
                System.out.println("No devices leased");
                return;
            }
            Device device = devices.get(0);
            System.out.println("Using device " + device.id() + " in " + device.region());
            System.out.println("Proxy: " + device.proxy().url());

            Profile profile = Profile.builder()
                    .device("pixel-8-pro")
                    .timezone("America/New_York")
                    .locale("en-US")
                    .cores(8)
                    .ramGb(8)
                    .screen(1440, 3120)
                    .dpi(512)
                    .build();

            System.out.println("Starting browser (~55-60s boot)...");
            try (BrowserSession session = device.browser(BrowserOptions.builder()
                    .profile(profile).ttl("15m").idleTimeout("5m").build())) {
                session.connect();
                System.out.println("Browser ready at IP: " + session.egressIp());
                System.out.println("Resolved profile: " + session.fingerprint());

                Page page = session.newPage();
                page.navigate(pageUrl, new Page.NavigateOptions().setTimeout(30_000));
                System.out.println("Page title: " + page.title());

                Page page2 = session.newPage();
                page2.navigate(ipUrl);
                System.out.println("External IP (via browser): " + page2.textContent("body"));
            } // the session stops here
            System.out.println("Session stopped");
        }
    }
}
