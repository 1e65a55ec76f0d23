"""Issue 15: one proxy port for both protocols, used by httpx without SOCKS support, requests, curl and Chromium,
and the device's compact ``health`` — against the real standalone server and its demo device."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import requests

from aimlib import Aimlib, Health


async def _demo_device(server):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        return (await ai.devices.list())[0]


async def test_proxy_has_http_and_socks5h_urls_on_one_port(server):
    device = await _demo_device(server)
    p = device.proxy
    assert p.url.startswith("socks5h://")
    assert p.http_url.startswith("http://") and p.socks5h_url.startswith("socks5h://")
    http, socks, documented = urlsplit(p.http_url), urlsplit(p.socks5h_url), urlsplit(p.url)
    assert http.port == socks.port == documented.port
    assert (http.username, http.password) == (socks.username, socks.password) == (documented.username, documented.password)
    assert p.http_url not in repr(p) and p.socks5h_url not in repr(p) and ":***@" in repr(p)


# httpx as installed without its "socks" extra: socksio is made unimportable in a fresh interpreter, so the
# test holds whatever the venv happens to contain.
_HTTPX_NO_SOCKS = r"""
import sys
sys.modules["socksio"] = None
import httpx
http_url, socks_url, origin = sys.argv[1:4]
try:
    httpx.Client(proxy=socks_url)
    print("socks-accepted")
except ImportError:
    print("socks-unsupported")
for path in ("/", "/ip"):
    with httpx.Client(proxy=http_url, timeout=30) as c:   # plain http:// target: forwarded by the HTTP front
        print(c.get(origin + path).text.strip()[:80])
"""


async def test_httpx_without_socks_support_uses_http_url(server):
    p = (await _demo_device(server)).proxy
    out = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", _HTTPX_NO_SOCKS, p.http_url, p.socks5h_url,
                                                   server.demo_origin], capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "socks-unsupported"          # why http_url exists
    assert "Reached through the device" in lines[1]
    assert lines[2] == "127.0.0.1"


async def test_requests_with_both_urls_on_the_one_port(server):
    p = (await _demo_device(server)).proxy
    for url in (p.http_url, p.socks5h_url):
        r = await asyncio.to_thread(requests.get, server.demo_origin + "/", proxies={"http": url, "https": url}, timeout=30)
        assert r.status_code == 200 and "Reached through the device" in r.text, url


def _curl(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True, text=True, timeout=60, env=env)


async def test_curl_with_socks5h_connect_and_forwarding_on_the_one_port(server):
    p = (await _demo_device(server)).proxy
    for args in (("-x", p.socks5h_url), ("-x", p.http_url), ("-p", "-x", p.http_url)):
        r = await asyncio.to_thread(_curl, *args, server.demo_origin + "/ip")
        assert r.returncode == 0, (args[:-1], r.stderr)
        assert r.stdout.strip() == "127.0.0.1"
    host_port = urlsplit(p.http_url).netloc.split("@")[1]
    r = await asyncio.to_thread(_curl, "-x", f"https://x:y@{host_port}", server.demo_origin + "/ip")
    assert r.returncode == 35, r.stderr   # a TLS client gets a handshake_failure alert at once, not a hang


async def test_chromium_over_http_and_socks5_on_the_one_port(server):
    from playwright.async_api import async_playwright

    device = await _demo_device(server)
    p = device.proxy
    http = urlsplit(p.http_url)
    # HTTP: Chromium straight at the port, answering the 407 challenge with the proxy's credentials.
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=os.environ.get("AIMLIB_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
            proxy={"server": f"http://{http.hostname}:{http.port}", "username": http.username, "password": http.password})
        try:
            page = await browser.new_page()
            await page.goto(server.demo_origin + "/", timeout=60_000)
            assert "Reached through the device" in await page.content()
        finally:
            await browser.close()
    # SOCKS5: Chromium cannot authenticate to a SOCKS5 proxy itself; the managed browser's host bridge does, and
    # chains it to this same port with the lease's credentials.
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        device = (await ai.devices.list())[0]
        session = await device.browser(ttl="5m")
        try:
            browser = await session.connect()
            page = browser.contexts[0].pages[0] if browser.contexts and browser.contexts[0].pages else await browser.new_page()
            await page.goto(server.demo_origin + "/", timeout=60_000)
            assert "Reached through the device" in await page.content()
        finally:
            await session.stop()


async def test_device_health_is_exposed(server):
    deadline = time.monotonic() + 60
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        while True:
            device = (await ai.devices.list())[0]
            assert isinstance(device.health, Health)
            if device.health.status == "healthy" or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
    h = device.health
    assert h.status == "healthy", h          # the demo agent's egress probe works
    assert h.rtt_ms is not None and 0 <= h.rtt_ms < 5000
    assert h.updated_at is not None
    assert h.network_type is None            # the demo device has no health command
