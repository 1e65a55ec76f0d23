"""ai.sessions.list()/get() and device.browser(start_url=...) (issue 14), on the demo device, with httpx and Playwright."""

from __future__ import annotations

import asyncio
import time

import pytest

from aimlib import Aimlib, AimlibError, SessionInfo


async def test_sessions_list_get_and_start_url(server, admin):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        before = {s.id for s in await ai.sessions.list()}
        device = (await ai.devices.list())[0]
        start = server.demo_origin + "/ip"
        session = await device.browser(ttl="5m", start_url=start)
        try:
            page = await session.new_page()                    # the initial tab, sent to the start URL
            await page.wait_for_url(start, timeout=20000)
            assert (await page.text_content("body")).strip() == "127.0.0.1"

            live = await ai.sessions.list()
            mine = [s for s in live if s.id == session.id]
            assert len(mine) == 1 and isinstance(mine[0], SessionInfo)
            info = await ai.sessions.get(session.id)
            assert info.device_id == device.id and info.status in ("ready", "active")
            assert info.start_url == start and info.egress_ip == "127.0.0.1" and not info.ended
            assert session.connect_token not in repr(info)

            other = admin.customer()
            async with Aimlib(api_key=other["key"], base_url=server.base_url) as theirs:
                assert await theirs.sessions.list(status="all") == []
                with pytest.raises(AimlibError) as e:
                    await theirs.sessions.get(session.id)
                assert e.value.status_code == 404 and e.value.code == "session_not_found"
        finally:
            await session.stop()

        deadline = time.monotonic() + 20
        info = await ai.sessions.get(session.id)
        while not info.ended and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            info = await ai.sessions.get(session.id)
        assert info.status == "gone" and info.end_reason == "stopped"
        assert info.ended_at is not None and info.duration_s is not None and info.bytes_used > 0
        assert session.id not in {s.id for s in await ai.sessions.list()}
        assert session.id in {s.id for s in await ai.sessions.list(status="ended")}
        assert {s.id for s in await ai.sessions.list()} <= before | set()

        with pytest.raises(AimlibError) as bad:
            await device.browser(start_url="javascript:alert(1)")
        assert bad.value.status_code == 400 and bad.value.message == "start_url must be an http or https URL"
        with pytest.raises(AimlibError) as bad_status:
            await ai.sessions.list(status="sleeping")
        assert bad_status.value.status_code == 400
