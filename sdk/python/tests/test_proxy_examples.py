"""The raw proxy URL with ordinary HTTP clients, and the documentation's examples run as scripts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import requests

from aimlib import Aimlib

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


async def test_socks5h_proxy_url_with_requests_and_pysocks(server):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
    assert device.proxy.protocol == "socks5" and device.proxy.url.startswith("socks5h://")
    proxies = {"http": device.proxy.url, "https": device.proxy.url}
    r = await asyncio.to_thread(requests.get, server.demo_origin + "/", proxies=proxies, timeout=30)
    assert r.status_code == 200 and "Reached through the device" in r.text
    r = await asyncio.to_thread(requests.get, server.demo_origin + "/ip", proxies=proxies, timeout=30)
    assert r.text.strip() == "127.0.0.1"


async def test_http_proxy_url_with_httpx(server, admin):
    # The demo device is the one with an agent: lease it over HTTP for this test, then back over SOCKS5.
    socks = admin.demo_lease()
    admin.call("POST", f"/leases/{socks['id']}/end")
    http_lease = admin.lease(socks["customer_id"], socks["device_id"], protocol="http")
    try:
        async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
            [device] = await ai.devices.list()
            assert device.id == socks["device_id"] and device.proxy.protocol == "http"
            assert device.proxy.url.startswith("http://") and device.proxy.id == http_lease["proxy"]["id"]
            # One client per request: the HTTP proxy front sometimes drops a kept-alive connection after a
            # forwarded response without "Connection: close", which httpx's pool would then reuse (server side).
            async with httpx.AsyncClient(proxy=device.proxy.url, timeout=30) as client:
                r = await client.get(server.demo_origin + "/")
                assert r.status_code == 200 and "Reached through the device" in r.text
            async with httpx.AsyncClient(proxy=device.proxy.url, timeout=30) as client:
                assert (await client.get(server.demo_origin + "/ip")).text.strip() == "127.0.0.1"
    finally:
        admin.call("POST", f"/leases/{http_lease['id']}/end")
        admin.lease(socks["customer_id"], socks["device_id"], protocol="socks5")


def _run(server, script: str) -> str:
    env = {**os.environ, **server.env()}
    p = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


async def test_documentation_quick_start(server):
    out = await asyncio.to_thread(_run, server, "quick_start.py")
    assert "Mobile proxy: socks5h://" in out and "aimlib demo origin" in out


async def test_sdk_reference_quick_start(server):
    out = await asyncio.to_thread(_run, server, "sdk_quick_start.py")
    assert "Page title: aimlib demo origin" in out


async def test_documentation_end_to_end_example(server):
    out = await asyncio.to_thread(_run, server, "end_to_end.py")
    assert "Using device " in out and " in local" in out
    assert "Browser ready at IP: 127.0.0.1" in out
    assert "'screen': [1440, 3120]" in out and "'timezone': 'America/New_York'" in out
    assert "Page title: aimlib demo origin" in out
    assert "External IP (via browser): 127.0.0.1" in out and "Session stopped" in out
