"""Device listing and lookup, and support tickets both ways, against the real server."""

from __future__ import annotations

import pytest

from aimlib import Aimlib, AimlibError, Device, Proxy


async def test_devices_list_and_lookup(server, admin):
    async with Aimlib(api_key=server.api_key, base_url=server.base_url) as ai:
        devices = await ai.devices.list()
        assert len(devices) == 1
        d = devices[0]
        assert isinstance(d, Device) and isinstance(d.proxy, Proxy)
        assert d.region == "local" and d.carrier == "local"
        assert d.current_egress_ip in (None, "127.0.0.1")  # null until the agent reported it
        assert d.proxy.protocol == "socks5" and d.proxy.status == "active"
        assert d.proxy.url.startswith("socks5h://") and d.proxy.id
        password = d.proxy.url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in repr(d) and password not in repr(d.proxy)
        assert (await ai.devices.get(d.id)).id == d.id
        assert (await ai.device(d.id)).proxy.url == d.proxy.url
        # A device that exists but is not leased to this account:
        other = admin.device()
        with pytest.raises(AimlibError) as e:
            await ai.device(other["id"])
        assert type(e.value) is AimlibError and "not leased" in str(e.value)


async def test_a_customer_without_leases_has_no_devices(server, admin):
    c = admin.customer()
    async with Aimlib(api_key=c["key"], base_url=server.base_url) as ai:
        assert await ai.devices.list() == []


async def test_a_lease_without_proxy_lists_no_proxy(server, admin):
    c, d, _ = admin.leased_device(protocol="none")
    async with Aimlib(api_key=c["key"], base_url=server.base_url) as ai:
        [dev] = await ai.devices.list()
        assert dev.id == d["id"] and dev.proxy is None


async def test_tickets_both_ways(server, admin):
    c = admin.customer()
    async with Aimlib(api_key=c["key"], base_url=server.base_url) as ai:
        t = await ai.tickets.create(subject="device.browser() times out", body="Repro: ...")
        assert t.id and t.status == "open" and t.awaiting_close_from == "both" and not t.complete
        assert [m["author"] for m in t.messages] == ["customer"]
        assert [x.id for x in await ai.tickets.list()] == [t.id]

        admin.call("POST", f"/tickets/{t.id}/messages", {"body": "Which device?"}, 201)
        t = await ai.tickets.get(t.id)
        assert [(m["author"], m["body"]) for m in t.messages] == [("customer", "Repro: ..."), ("operator", "Which device?")]

        t = await ai.tickets.reply(t.id, "Tried a fresh key, same result.")
        assert len(t.messages) == 3 and t.messages[-1]["author"] == "customer"

        t = await ai.tickets.close(t.id)
        assert (t.status, t.customer_closed, t.awaiting_close_from, t.complete) == ("open", True, "operator", False)
        op = admin.call("POST", f"/tickets/{t.id}/close")
        assert op["status"] == "closed"
        t = await ai.tickets.get(t.id)
        assert (t.status, t.complete, t.awaiting_close_from) == ("closed", True, None)

        t = await ai.tickets.reply(t.id, "It happened again")   # any new message reopens it
        assert (t.status, t.customer_closed, t.operator_closed) == ("open", False, False)
