"""Saved logins (contexts) and extensions (issue 14) through the SDK, against the real demo server."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from aimlib import Aimlib, AimlibError, Context, Extension


async def _gone(ai: Aimlib, device_id: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await ai._http.get(f"/v1/devices/{device_id}/browser")).status_code == 404:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("session did not stop")


async def test_persist_at_stop_and_start_from_the_context(server, admin):
    other = admin.customer()
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai, \
            Aimlib(api_key=other["key"], base_url=server.base_url) as stranger:
        device = (await ai.devices.list())[0]
        session = await device.browser(ttl="5m", profile={"device": "pixel-7"}, persist=True, context_name="py login")
        page = await session.new_page()
        await page.goto(server.demo_origin + "/")
        await page.evaluate("() => { localStorage.setItem('who', 'py-user'); document.cookie = 'py=1; max-age=3600; path=/'; }")
        context_id = await session.stop()
        assert context_id
        await _gone(ai, device.id)

        ctx = await ai.contexts.get(context_id)
        assert isinstance(ctx, Context) and ctx.name == "py login" and ctx.size_bytes > 0
        assert ctx.resolved_profile["device"] == "pixel-7"
        assert context_id in [c.id for c in await ai.contexts.list()]
        with pytest.raises(AimlibError) as e:
            await stranger.contexts.get(context_id)
        assert e.value.status_code == 404
        assert await stranger.contexts.list() == []

        async with await device.browser(ttl="5m", context_id=context_id) as again:
            page = await again.new_page()
            await page.goto(server.demo_origin + "/")
            assert await page.evaluate("() => localStorage.getItem('who')") == "py-user"
            assert "py=1" in await page.evaluate("() => document.cookie")
            assert again.fingerprint["device"] == "pixel-7"
            snapshot = await again.save_context(name="snapshot")
            assert snapshot.name == "snapshot" and snapshot.id != context_id
        await _gone(ai, device.id)

        await ai.contexts.delete(context_id)
        await ai.contexts.delete(snapshot.id)
        with pytest.raises(AimlibError) as e:
            await ai.contexts.get(context_id)
        assert e.value.status_code == 404


async def test_extension_upload_load_and_refusal(server, admin, tmp_path):
    other = admin.customer()
    ext_dir = tmp_path / "ext"
    ext_dir.mkdir()
    (ext_dir / "manifest.json").write_text('{"manifest_version":3,"name":"py probe","version":"1.0",'
                                           '"background":{"service_worker":"bg.js"}}')
    (ext_dir / "bg.js").write_text("self.addEventListener('install', () => {});")
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "manifest.json").write_text('{"manifest_version":3,"name":"bad","version":"1.0","permissions":["proxy"]}')
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai, \
            Aimlib(api_key=other["key"], base_url=server.base_url) as stranger:
        ext = await ai.extensions.upload(ext_dir)
        assert isinstance(ext, Extension) and ext.name == "py probe" and ext.file_count == 2
        assert ext.id in [x.id for x in await ai.extensions.list()]
        with pytest.raises(AimlibError) as e:
            await stranger.extensions.get(ext.id)
        assert e.value.status_code == 404
        with pytest.raises(AimlibError) as e:
            await ai.extensions.upload(bad_dir)
        assert e.value.status_code == 400 and e.value.code == "extension_invalid" and "proxy" in (e.value.message or "")

        device = (await ai.devices.list())[0]
        async with await device.browser(ttl="5m", extensions=[ext.id]) as session:
            page = await session.new_page()
            await page.goto(server.demo_origin + "/")
            assert await page.title() is not None
        await _gone(ai, device.id)
        await ai.extensions.delete(ext.id)
        with pytest.raises(AimlibError) as e:
            await ai.extensions.get(ext.id)
        assert e.value.status_code == 404
