"""Every documented exception mapping, provoked against the real server through its operator API."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from aimlib import (Aimlib, AimlibError, CapacityError, DataCapError, Device, LeaseInactiveError)


def client(server, key, **kw):
    return Aimlib(api_key=key, base_url=server.base_url, **kw)


async def test_device_cap_429_raises_capacity_error_at_once(server, admin):
    c, d, _ = admin.leased_device(max_browser_sessions=0)
    async with client(server, c["key"]) as ai:
        device = await ai.device(d["id"])
        t0 = time.monotonic()
        with pytest.raises(CapacityError) as e:
            await device.browser()
        assert time.monotonic() - t0 < 0.4          # a cap is not retried
        assert e.value.status_code == 429 and e.value.code == "capacity_unavailable"
        assert "device session cap reached" in str(e.value)


async def test_customer_cap_429_raises_capacity_error_at_once(server, admin):
    c, d, _ = admin.leased_device(customer_max=0)
    async with client(server, c["key"]) as ai:
        device = await ai.device(d["id"])
        t0 = time.monotonic()
        with pytest.raises(CapacityError) as e:
            await device.browser(ttl="1m")
        assert time.monotonic() - t0 < 0.4
        assert e.value.status_code == 429 and "customer session cap reached" in str(e.value)


async def test_no_host_capacity_503_is_retried_then_raised(server, admin):
    # No browser host serves region "nowhere": 503 capacity_unavailable on every attempt.
    c, d, _ = admin.leased_device(region="nowhere")
    async with client(server, c["key"], max_retries=2) as ai:
        device = await ai.device(d["id"])
        t0 = time.monotonic()
        with pytest.raises(CapacityError) as e:
            await device.browser()
        elapsed = time.monotonic() - t0
        assert e.value.status_code == 503 and "no browser host capacity" in str(e.value)
        assert 1.4 <= elapsed < 5, elapsed          # two back-offs: 0.5 s + 1 s


async def test_no_host_capacity_503_recovers_when_capacity_appears(server, admin):
    c, d, _ = admin.leased_device(region="nowhere")
    async with client(server, c["key"]) as ai:
        device = await ai.device(d["id"])
        create = asyncio.create_task(device.browser(ttl="1m"))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(admin.call, "PATCH", f"/devices/{d['id']}", {"region": "local"})
        session = await create                      # a retry found the local host
        assert session.status == "provisioning" and session.region == "local"
        await session.stop()


async def test_lease_inactive_after_the_lease_ended(server, admin):
    c, d, lease = admin.leased_device()
    async with client(server, c["key"]) as ai:
        device = await ai.device(d["id"])
        admin.call("POST", f"/leases/{lease['id']}/end")
        with pytest.raises(LeaseInactiveError) as e:
            await device.browser(profile="pixel-8-pro")
        assert e.value.status_code == 403 and e.value.code == "lease_inactive"
        with pytest.raises(AimlibError):             # and it is no longer listed
            await ai.device(d["id"])


async def test_lease_inactive_for_a_suspended_customer(server, admin):
    c, d, _ = admin.leased_device()
    admin.call("POST", f"/customers/{c['id']}/suspend")
    async with client(server, c["key"]) as ai:
        with pytest.raises(LeaseInactiveError) as e:
            await ai.devices.list()
        assert "customer not active" in str(e.value)


async def test_data_cap_exceeded(server, admin):
    c, d, _ = admin.leased_device(monthly_cap_bytes=0)   # no headroom left this month
    async with client(server, c["key"]) as ai:
        device = await ai.device(d["id"])
        with pytest.raises(DataCapError) as e:
            await device.browser(ttl=60)
        assert e.value.status_code == 409 and e.value.code == "data_cap_exceeded"


async def test_unmapped_codes_are_the_base_class(server, admin):
    c, d, _ = admin.leased_device()
    async with client(server, c["key"]) as ai:
        with pytest.raises(AimlibError) as e:
            await ai.tickets.get(str(uuid.uuid4()))
        assert type(e.value) is AimlibError and e.value.status_code == 404 and e.value.code == "ticket not found"
        with pytest.raises(AimlibError) as e:
            await ai.tickets.create(subject=" ", body="x")
        assert type(e.value) is AimlibError and e.value.code == "bad_request" and "subject" in str(e.value)
        with pytest.raises(AimlibError) as e:
            await Device(id="not-a-uuid", _client=ai).browser()
        assert type(e.value) is AimlibError and e.value.status_code == 400 and e.value.code == "bad id"
        device = await ai.device(d["id"])
        with pytest.raises(AimlibError) as e:
            await device.browser(profile={"fonts": "x" * 5000})
        assert type(e.value) is AimlibError and e.value.code == "profile_invalid"


async def test_unauthorized_key(server):
    async with client(server, "ak_live_" + "x" * 40) as ai:
        with pytest.raises(AimlibError) as e:
            await ai.devices.list()
        assert type(e.value) is AimlibError and e.value.status_code == 401
        assert "x" * 20 not in str(e.value)


async def test_transport_error_is_an_aimlib_error_without_the_key():
    async with Aimlib(api_key="ak_live_supersecretvalue", base_url="http://127.0.0.1:9") as ai:
        with pytest.raises(AimlibError) as e:
            await ai.devices.list()
        assert "supersecretvalue" not in str(e.value)


async def test_rate_limit_429_is_retried_honouring_retry_after(server, admin):
    c = admin.customer()
    headers = {"Authorization": f"Bearer {c['key']}"}
    # Spend the key's bucket (1000 requests per hour by default) with raw requests.
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as raw:
        limited = False

        async def worker():
            nonlocal limited
            while not limited:
                r = await raw.get("/v1/devices")
                if r.status_code == 429:
                    limited = True
        await asyncio.wait_for(asyncio.gather(*[worker() for _ in range(16)]), 60)
    async with client(server, c["key"], max_retries=0) as ai:
        with pytest.raises(AimlibError) as e:
            await ai.devices.list()
        assert type(e.value) is AimlibError and e.value.status_code == 429 and e.value.code == "rate_limited"
        assert 1 <= e.value.retry_after <= 4
    async with client(server, c["key"]) as ai:
        t0 = time.monotonic()
        assert await ai.devices.list() == []          # after sleeping Retry-After, the retry is served
        assert time.monotonic() - t0 >= 0.9
