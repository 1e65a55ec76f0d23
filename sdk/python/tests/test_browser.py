"""Managed browser sessions on the demo device (the one device with an agent), end to end with Playwright."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import httpx
import pytest

from aimlib import (Aimlib, AimlibError, BrowserSession, Profile, SessionExpiredError, SessionTimeout, TabLimitError,
                    _error_from_response)


def _ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


async def _gone(raw: httpx.AsyncClient, device_id: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await raw.get(f"/v1/devices/{device_id}/browser")).status_code == 404:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_browser_session_end_to_end(server, demo_key_2):
    observer = httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {demo_key_2}"}, timeout=30)
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
        gets: list[float] = []

        async def on_request(request: httpx.Request) -> None:
            if request.method == "GET" and request.url.path.endswith("/browser"):
                gets.append(time.monotonic())
        ai._http.event_hooks["request"].append(on_request)

        profile = {"device": "pixel-8-pro", "battery": 75, "not_a_profile_key": 1, "screen": [1440, 3120]}
        session = await device.browser(profile=profile, ttl="10m", idle_timeout="5m", sticky=True)
        try:
            await _drive(server, observer, ai, device, session, gets)
        finally:
            await session.stop()
    await observer.aclose()


async def _drive(server, observer, ai, device, session, gets):
        assert isinstance(session, BrowserSession) and session.status == "provisioning"
        assert session.device is device and session.max_tabs == 5 and session.browser is None
        assert session.fingerprint == {} and session.egress_ip is None
        assert session.connect_url.endswith(f"/cdp/{session.id}")
        assert abs(_ts(session.expires_at) - time.time() - 600) < 30           # ttl "10m"
        assert session.connect_token not in repr(session)

        # The raw REST flow's view: an observer polling every 20 ms sees "ready" at t_raw.
        t_raw = None

        async def observe():
            nonlocal t_raw
            while t_raw is None:
                r = await observer.get(f"/v1/devices/{device.id}/browser")
                if r.status_code == 200 and r.json()["status"] in ("ready", "active", "idle"):
                    t_raw = time.monotonic()
                await asyncio.sleep(0.02)
        watcher = asyncio.create_task(observe())
        t0 = time.monotonic()
        await session.wait_until_ready(timeout=60)
        t_sdk = time.monotonic()
        await asyncio.wait_for(watcher, 5)
        assert gets and gets[0] - t0 < 0.05, "first poll within 50 ms"
        # The SDK polls every 50 ms for the first 5 s; on this shared 2-core machine a GET itself takes up to
        # ~0.35 s while Chromium boots, which dominates the lag, so the bound here is loose (printed with -s).
        print(f"SDK noticed ready {t_sdk - t_raw:.3f} s after a raw 20 ms poller")
        assert t_sdk - t_raw < 0.5, f"SDK noticed ready {t_sdk - t_raw:.3f} s after the raw poller"

        assert session.status in ("ready", "active", "idle") and session.egress_ip == "127.0.0.1"
        # resolved_profile holds what a page observes: the 75 % battery as navigator.getBattery() reports it
        assert session.fingerprint["screen"] == [1440, 3120] and session.fingerprint["battery"]["level"] == 0.75
        assert "not_a_profile_key" not in session.fingerprint

        browser = await session.connect()
        assert session.browser is browser and browser.is_connected()
        pages = [await session.new_page() for _ in range(5)]
        assert len({id(p) for p in pages}) == 5
        assert sum(len(c.pages) for c in browser.contexts) == 5            # the first reused the initial tab
        await pages[0].goto(server.demo_origin + "/")
        assert await pages[0].title() == "aimlib demo origin"
        await pages[4].goto(server.demo_origin + "/ip")
        assert (await pages[4].text_content("body")).strip() == "127.0.0.1"
        with pytest.raises(TabLimitError):
            await session.new_page()
        await pages[2].close()
        sixth = await session.new_page()                                       # the closed tab freed a slot
        await sixth.goto(server.demo_origin + "/")
        with pytest.raises(TabLimitError):
            await session.new_page()

        await session.stop()
        assert session.browser is None
        r = await observer.get(f"/v1/devices/{device.id}/browser")
        assert r.status_code == 200 and r.json()["status"] == "expiring"
        assert await _gone(observer, device.id, 5.0), "404 within 5 s of stop"
        await session.stop()                                                   # best effort: no error twice


async def test_async_context_manager_profile_dataclass_and_duration_strings(server):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = await ai.device((await ai.devices.list())[0].id)
        profile = Profile(device="galaxy-s24-ultra", timezone="America/New_York", locale="en-US", cores=4, ram_gb=8,
                          screen=(1080, 2340), dpi=500)
        async with await device.browser(profile=profile, ttl="30s", idle_timeout=60) as session:
            assert isinstance(session, BrowserSession) and session.browser is not None
            assert abs(_ts(session.expires_at) - time.time() - 30) < 10       # ttl "30s"
            fp = session.fingerprint
            assert (fp["device"], fp["timezone"], fp["locale"], fp["cores"], fp["ram_gb"], fp["screen"], fp["dpi"]) == \
                ("galaxy-s24-ultra", "America/New_York", "en-US", 4, 8, [1080, 2340], 500)
            page = await session.new_page()
            await page.goto(server.demo_origin + "/")
            assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        assert session.browser is None and session.status == "expiring"


async def test_timeout_and_session_provisioning(server):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
        # A time zone no other test uses is a launch setting of its own: nothing warm can serve it, so the session
        # boots cold and cannot be ready within a millisecond (a warm-pool hit can be ready at the create).
        session = await device.browser(ttl=120, profile={"timezone": "Pacific/Chatham"})
        try:
            with pytest.raises(SessionTimeout):
                await session.wait_until_ready(timeout=0.001)
            # The relay's own 425 session_provisioning while it boots maps to SessionTimeout too.
            r = await ai._http.get(f"/cdp/{session.id}/json/version",
                                   headers={"Authorization": f"Bearer {session.connect_token}"})
            if r.status_code == 425:
                err = _error_from_response(r)
                assert type(err) is SessionTimeout and err.code == "session_provisioning" and err.retry_after == 5
            await session.wait_until_ready(timeout=60)
        finally:
            await session.stop()


async def test_expired_session(server):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
        session = await device.browser(ttl="1s")
        try:
            await _expire(ai, device, session)
        finally:
            await session.stop()


async def _expire(ai, device, session):
        await asyncio.sleep(2.5)                                  # the reaper expires it after 1 s
        with pytest.raises(SessionExpiredError):
            await session.wait_until_ready(timeout=30)
        with pytest.raises(SessionExpiredError):
            await session.connect(timeout=5)
        # The relay answers the documented session_expired (410) for it: SessionExpiredError.
        r = await ai._http.get(f"/cdp/{session.id}/json/version",
                               headers={"Authorization": f"Bearer {session.connect_token}"})
        assert r.status_code == 410
        err = _error_from_response(r, [session.connect_token])
        assert type(err) is SessionExpiredError and err.code == "session_expired"
        await session.stop()
        # Once gone: GET 404 → SessionExpiredError raised locally.
        deadline = time.monotonic() + 10
        while (await ai._http.get(f"/v1/devices/{device.id}/browser")).status_code != 404:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        with pytest.raises(SessionExpiredError) as e:
            await session.wait_until_ready()
        assert e.value.status_code == 404
        assert isinstance(e.value, AimlibError)
