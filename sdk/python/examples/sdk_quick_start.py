# The "Python SDK" reference's Quick Start, as written, except that the target URL is TARGET_URL:
# AIMLIB_DEMO_ORIGIN when set (a local page), else the documentation's example.com.
import os

TARGET_URL = os.environ.get("AIMLIB_DEMO_ORIGIN", "https://example.com")

import asyncio
from aimlib import Aimlib

async def main():
    async with Aimlib() as ai:
        devices = await ai.devices.list()
        device = devices[0]
        print(f"Device {device.id}: {device.proxy.url}")

        # Browser: ~55-60s cold-boot wait, then drive Chrome over CDP
        async with await device.browser(profile="pixel-8-pro", ttl="10m") as b:
            page = await b.new_page()
            await page.goto(TARGET_URL)
            print(f"Page title: {await page.title()}")

asyncio.run(main())
