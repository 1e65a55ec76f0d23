# The customer documentation's "End-to-End Example", as written, except the two target URLs: with
# AIMLIB_DEMO_ORIGIN set they are that local page and its /ip (the documentation: example.com, httpbin.org/ip).
import os

_ORIGIN = os.environ.get("AIMLIB_DEMO_ORIGIN")
PAGE_URL = _ORIGIN + "/" if _ORIGIN else "https://example.com"
IP_URL = _ORIGIN + "/ip" if _ORIGIN else "https://httpbin.org/ip"

import asyncio
from aimlib import Aimlib, Profile

async def scrape_with_browser():
    """Pick a leased device, boot a stealth browser, scrape a page."""
    async with Aimlib() as ai:
        devices = await ai.devices.list()
        if not devices:
            print("No devices leased")
            return

        device = devices[0]
        print(f"Using device {device.id} in {device.region}")
        print(f"Proxy: {device.proxy.url}")

        profile = Profile(
            device="pixel-8-pro",
            timezone="America/New_York",
            locale="en-US",
            cores=8,
            ram_gb=8,
            screen=(1440, 3120),
            dpi=512,
        )

        print("Starting browser (~55-60s boot)...")
        async with await device.browser(profile=profile, ttl="15m", idle_timeout="5m") as session:
            print(f"Browser ready at IP: {session.egress_ip}")
            print(f"Resolved profile: {session.fingerprint}")

            page = await session.new_page()
            await page.goto(PAGE_URL, timeout=30000)
            print(f"Page title: {await page.title()}")

            page2 = await session.new_page()
            await page2.goto(IP_URL)
            print(f"External IP (via browser): {await page2.text_content('body')}")

            # session auto-stops on exit
        print("Session stopped")

if __name__ == "__main__":
    asyncio.run(scrape_with_browser())
