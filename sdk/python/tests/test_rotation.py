"""device.rotate_ip(), ai.operations and device.ips() against the real server, with a real agent process whose
rotate command rewrites its binding file (127.0.0.2 -> 127.0.0.3) and a what-is-my-IP server on loopback."""

from __future__ import annotations

import http.server
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from aimlib import (
    Aimlib,
    AimlibError,
    CapacityError,
    Operation,
    RotationFailedError,
    RotationInProgressError,
    RotationTooSoonError,
)

from conftest import REPO, _java



class _WhoAmI(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.client_address[0].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def what_is_my_ip() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WhoAmI)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()


class RotatableDevice:
    def __init__(self, customer: dict, device: dict, bind: Path, proc: subprocess.Popen) -> None:
        self.customer = customer
        self.device = device
        self.bind = bind
        self.proc = proc


def _agent_device(server: Any, admin: Any, what_is_my_ip: str, rotate: str, customer: dict | None = None) -> RotatableDevice:
    """A fresh device leased to ``customer`` (a new one by default), served by an `aimlib agent` process."""
    c = customer or admin.customer()
    d = admin.device()
    admin.lease(c["id"], d["id"])
    token = admin.call("POST", f"/devices/{d['id']}/agent-token", None, 201)["agent_token"]
    bind = Path(tempfile.mkstemp(prefix="bind", suffix=".addr")[1])
    bind.write_text("127.0.0.2")
    jar = Path(os.environ.get("AIMLIB_JAR") or REPO / "aimlib-server" / "target" / "aimlib-server.jar")
    env = dict(os.environ, AIMLIB_AGENT_TOKEN=token)
    proc = subprocess.Popen(
        [_java(), "--enable-native-access=ALL-UNNAMED", "-jar", str(jar), "agent",
         "--gateway", f"127.0.0.1:{server.tunnel_port}", "--device-id", d["id"], "--bind", f"file:{bind}",
         "--rotate-command", rotate.replace("%f", str(bind)), "--what-is-my-ip-url", what_is_my_ip,
         "--rotate-wait-s", "2", "--pool", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {c['key']}"}) as h:
        while time.monotonic() < deadline:
            devs = h.get("/v1/devices").json()
            mine = [x for x in devs if x["device_id"] == d["id"]]
            if mine and mine[0].get("current_egress_ip") == "127.0.0.2":
                return RotatableDevice(c, d, bind, proc)
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the agent's device did not come online")


def _stop(dev: RotatableDevice) -> None:
    dev.proc.terminate()
    try:
        dev.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        dev.proc.kill()


async def test_rotate_ip_waits_for_a_confirmed_new_ip_and_operations_and_history_follow(server: Any, admin: Any, what_is_my_ip: str) -> None:
    dev = _agent_device(server, admin, what_is_my_ip, "sleep 0.5; printf 127.0.0.3 > %f")
    try:
        async with Aimlib(api_key=dev.customer["key"], base_url=server.base_url) as ai:
            device = await ai.device(dev.device["id"])
            assert device.current_egress_ip == "127.0.0.2"
            op = await device.rotate_ip(wait=True, timeout=60)
            assert isinstance(op, Operation)
            assert op.succeeded and op.done
            assert (op.old_ip, op.new_ip, op.trigger) == ("127.0.0.2", "127.0.0.3", "api")
            assert device.current_egress_ip == "127.0.0.3"

            same = await ai.operations.get(op.id)
            assert same == op
            assert (await ai.operations.wait(op.id, timeout=5)) == op

            # The gateway's minimum interval (60 s by default): a typed error with Retry-After, not capacity.
            with pytest.raises(RotationTooSoonError) as too_soon:
                await device.rotate_ip()
            assert not isinstance(too_soon.value, CapacityError)
            assert too_soon.value.status_code == 429 and too_soon.value.code == "rotation_too_soon"
            assert too_soon.value.retry_after is not None and 0 < too_soon.value.retry_after <= 60

            ips = await device.ips()
            assert [i.ip for i in ips] == ["127.0.0.3", "127.0.0.2"]
            assert ips[0].current and ips[0].source == "rotation" and ips[0].operation_id == op.id
            assert ips[1].source == "observed" and not ips[1].current

        other = admin.customer()
        async with Aimlib(api_key=other["key"], base_url=server.base_url) as stranger:
            with pytest.raises(AimlibError) as nf:
                await stranger.operations.get(op.id)
            assert nf.value.status_code == 404
    finally:
        _stop(dev)


async def test_a_rotation_that_keeps_the_ip_raises_with_the_operation_and_wait_false_returns_at_once(server: Any, admin: Any, what_is_my_ip: str) -> None:
    dev = _agent_device(server, admin, what_is_my_ip, "sleep 1; true")
    try:
        async with Aimlib(api_key=dev.customer["key"], base_url=server.base_url) as ai:
            device = await ai.device(dev.device["id"])
            queued = await device.rotate_ip(wait=False)
            assert queued.status in ("queued", "running")
            with pytest.raises(RotationInProgressError):
                await device.rotate_ip(wait=False)
            done = await ai.operations.wait(queued.id, timeout=60)
            assert (done.status, done.reason) == ("failed", "ip_unchanged")
            assert done.new_ip == "127.0.0.2"
        # The device still serves: a new tenant-free check through the admin API's view of the device.
        row = admin.call("GET", f"/devices/{dev.device['id']}")
        assert row["status"] == "online" and row["current_egress_ip"] == "127.0.0.2"
        # wait=True raises RotationFailedError carrying the operation (on a second device: the interval is per device).
        dev2 = _agent_device(server, admin, what_is_my_ip, "true", customer=dev.customer)
        try:
            async with Aimlib(api_key=dev.customer["key"], base_url=server.base_url) as ai:
                device2 = await ai.device(dev2.device["id"])
                with pytest.raises(RotationFailedError) as failed:
                    await device2.rotate_ip(timeout=60)
                assert failed.value.operation.reason == "ip_unchanged"
                assert failed.value.operation.status == "failed"
        finally:
            _stop(dev2)
    finally:
        _stop(dev)
