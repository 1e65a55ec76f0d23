# The customer documentation's "Quick Start: Raw Proxy + Managed Browser", as written, except that the
# target URL is TARGET_URL: AIMLIB_DEMO_ORIGIN when set (a local page), else the documentation's example.com.
import os

TARGET_URL = os.environ.get("AIMLIB_DEMO_ORIGIN", "https://example.com")

import asyncio
from aimlib import Aimlib
async def main():
    # Reads AIMLIB_API_KEY (required) and AIMLIB_BASE_URL (optional) from env.
    ai = Aimlib()
    # Your leased devices
    devices = await ai.devices.list()
    device = devices[0]
    # === Raw mobile proxy (ready immediately, any HTTP client) ===
    print(f"Mobile proxy: {device.proxy.url}")
    # import requests
    # resp = requests.get("https://example.com",
    # proxies={"http": device.proxy.url, "https": device.proxy.url})
    # === Managed stealth browser ===
    # device.browser(...) is a coroutine: await it to start (provision) a session.
    # Using it as an async context manager connects on entry and stops on exit.
    async with await device.browser(profile="pixel-8-pro", ttl="10m") as session:
        # Entering the context waits for the container to boot (~55-60s on first
        # connect), then connects over the CDP relay. `session` is a BrowserSession.
        page = await session.new_page()
        await page.goto(TARGET_URL)
        print(await page.title())
        # Additional tabs share the same session (same IP, same fingerprint),
        # up to session.max_tabs (default 5).
        page2 = await session.new_page()
        # Context exit calls session.stop() (closes the browser + DELETEs the session).
    await ai.aclose()
asyncio.run(main())
