"""Issue 14's live view and recordings through the Python SDK, against the real standalone server."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from aimlib import Aimlib, AimlibError


async def _gone(raw: httpx.AsyncClient, device_id: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await raw.get(f"/v1/devices/{device_id}/browser")).status_code == 404:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_pages_live_view_and_recording(server, admin, tmp_path):
    other_customer = admin.call("POST", "/customers", {"name": f"py-other-{time.time_ns()}"}, 201)
    other_key = admin.call("POST", "/keys", {"customer_id": other_customer["id"], "name": "k"}, 201)["key"]
    raw = httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
        session = await device.browser(recording={"har": True, "screenshots": True})
        try:
            page = await session.new_page()
            await page.goto(server.demo_origin + "/ip?from=python")
            pages = await session.pages()
            assert any(p.url == server.demo_origin + "/ip?from=python" for p in pages)
            assert "sig=" not in repr(pages[0])                       # links are credentials
            view = await session.live_view_url()
            control = await session.live_view_url(interactive=True)
            assert "mode=view" in view and "mode=control" in control
            async with httpx.AsyncClient(timeout=30) as browserless:  # a plain browser tab: no header
                r = await browserless.get(view)
                assert r.status_code == 200 and "aimlib live view" in r.text
                forged = await browserless.get(view[:-3] + ("AAA" if not view.endswith("AAA") else "BBB"))
                assert forged.status_code == 403 and forged.json()["error"] == "link_invalid"
            assert (await session.recording.list()).status == "recording"
        finally:
            await session.stop()
        assert await _gone(raw, device.id, 60)

        listing = await ai.recording(session.id).list()
        assert listing.status == "complete" and listing.recording["har"] is True
        names = [f.name for f in listing.files]
        assert "recording.har" in names and any(n.startswith("screenshots/") for n in names)
        har_path = await session.recording.download("recording.har", tmp_path)
        har = json.loads(open(har_path).read())
        assert any(e["request"]["url"] == server.demo_origin + "/ip?from=python" for e in har["log"]["entries"])
        shot = next(n for n in names if n.startswith("screenshots/"))
        png = await session.recording.download(shot, tmp_path / "s.png")
        assert open(png, "rb").read(4) == b"\x89PNG"

    async with Aimlib(api_key=other_key, base_url=server.base_url) as other:
        with pytest.raises(AimlibError) as e:
            await other.recording(session.id).list()
        assert e.value.status_code == 404
        with pytest.raises(AimlibError):
            await other.recording(session.id).download("recording.har", tmp_path / "x")
    await raw.aclose()
