"""Test fixtures: one real `aimlib standalone --demo` for the whole run, and its operator API.

The server is the jar built by Maven (env AIMLIB_JAR, else aimlib-server/target/aimlib-server.jar of this
repository); nothing is built here. It runs on a temporary data directory with every port chosen by the
OS (--port 0 ...), so several runs can share a machine. No HTTP is mocked anywhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
EXPORTS = ("AIMLIB_BASE_URL", "AIMLIB_API_KEY", "AIMLIB_ADMIN_URL", "AIMLIB_OPERATOR_KEY", "AIMLIB_DEMO_ORIGIN")


@dataclass
class Server:
    base_url: str
    api_key: str
    admin_url: str
    operator_key: str
    demo_origin: str
    log: Path
    tunnel_port: int = 0

    def env(self) -> dict[str, str]:
        return {
            "AIMLIB_BASE_URL": self.base_url,
            "AIMLIB_API_KEY": self.api_key,
            "AIMLIB_ADMIN_URL": self.admin_url,
            "AIMLIB_OPERATOR_KEY": self.operator_key,
            "AIMLIB_DEMO_ORIGIN": self.demo_origin,
        }


def _java_major(home: Path) -> int:
    try:
        for line in (home / "release").read_text().splitlines():
            if line.startswith("JAVA_VERSION="):
                v = line.split("=", 1)[1].strip('"')
                return int(v.split(".")[0])
    except (OSError, ValueError):
        pass
    return 0


def _java() -> str:
    """JAVA_HOME's java when it is 21+ (./aimlib exports one), else the newest JDK 21+ in /usr/lib/jvm."""
    homes = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    homes += sorted(Path("/usr/lib/jvm").glob("*"), key=_java_major, reverse=True) if Path("/usr/lib/jvm").is_dir() else []
    for home in homes:
        if (home / "bin" / "java").exists() and _java_major(home) >= 21:
            return str(home / "bin" / "java")
    found = shutil.which("java")
    if not found:
        pytest.fail("no java: set JAVA_HOME to a JDK >= 21")
    return found


@pytest.fixture(scope="session")
def server() -> Any:
    jar = Path(os.environ.get("AIMLIB_JAR") or REPO / "aimlib-server" / "target" / "aimlib-server.jar")
    if not jar.exists():
        pytest.fail(f"{jar} not found: build it first (./mvnw -B -DskipTests package) or set AIMLIB_JAR")
    data_dir = Path(tempfile.mkdtemp(prefix="aimlib-sdk-test-"))
    # A port the OS just handed out, so tests can start agents of their own against the tunnel.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        tunnel_port = probe.getsockname()[1]
    log = data_dir / "server.log"
    cmd = [
        _java(), "--enable-native-access=ALL-UNNAMED", "-jar", str(jar), "standalone", "--demo",
        "--data-dir", str(data_dir / "data"), "--port", "0", "--socks-port", "0", "--http-proxy-port", "0",
        "--tunnel-port", str(tunnel_port),
    ]
    logf = open(log, "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logf, text=True, start_new_session=True)
    found: dict[str, str] = {}
    up = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            logf.write(line)
            logf.flush()
            line = line.strip()
            if line.startswith("export ") and "=" in line:
                k, v = line[len("export "):].split("=", 1)
                found[k] = v
            if line.startswith("source ") and line.endswith("demo.env"):
                # A later start on the same data names the file the first one wrote instead of printing the keys.
                for env in Path(line[len("source "):]).read_text().splitlines():
                    if env.startswith("export ") and "=" in env:
                        k, v = env[len("export "):].split("=", 1)
                        found[k] = v
            if line.startswith("aimlib standalone is up"):
                up.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (up.is_set() and all(k in found for k in EXPORTS)):
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if not all(k in found for k in EXPORTS):
        proc.kill()
        pytest.fail(f"server did not start (exit {proc.poll()}); log:\n{log.read_text()[-4000:]}")
    srv = Server(found["AIMLIB_BASE_URL"], found["AIMLIB_API_KEY"], found["AIMLIB_ADMIN_URL"],
                 found["AIMLIB_OPERATOR_KEY"], found["AIMLIB_DEMO_ORIGIN"], log, tunnel_port)
    try:
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logf.close()
        if os.environ.get("AIMLIB_KEEP_TEST_DATA") != "1":
            shutil.rmtree(data_dir, ignore_errors=True)


class Admin:
    """The operator API (/admin/v1) of the test server, synchronously."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.http = httpx.Client(base_url=srv.admin_url, timeout=30,
                                 headers={"Authorization": f"Bearer {srv.operator_key}"})

    def call(self, method: str, path: str, body: Optional[dict] = None, expect: int = 200) -> Any:
        r = self.http.request(method, "/admin/v1" + path, json=body)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def customer(self, max_sessions: Optional[int] = None) -> dict:
        body: dict[str, Any] = {"name": "sdk-test-" + uuid.uuid4().hex[:10]}
        if max_sessions is not None:
            body["max_browser_sessions"] = max_sessions
        c = self.call("POST", "/customers", body, 201)
        c["key"] = self.call("POST", "/keys", {"customer_id": c["id"], "name": "sdk-test"}, 201)["key"]
        return c

    def device(self, **fields: Any) -> dict:
        return self.call("POST", "/devices", {"name": "sdk-dev-" + uuid.uuid4().hex[:10], **fields}, 201)

    def lease(self, customer_id: str, device_id: str, protocol: str = "socks5") -> dict:
        return self.call("POST", "/leases", {"customer_id": customer_id, "device_id": device_id, "protocol": protocol}, 201)

    def leased_device(self, protocol: str = "socks5", customer_max: Optional[int] = None, **device: Any) -> tuple[dict, dict, dict]:
        """A fresh customer (with a key) leasing a fresh device: (customer, device, lease).
        The device has no agent, so its sessions never become ready; use it for refusals."""
        c = self.customer(customer_max)
        d = self.device(**device)
        return c, d, self.lease(c["id"], d["id"], protocol)

    def demo_lease(self) -> dict:
        demo = [c for c in self.call("GET", "/customers") if c["name"] == "demo"][0]
        leases = self.call("GET", f"/leases?customer_id={demo['id']}&status=active")
        assert len(leases) == 1, leases
        return leases[0]


@pytest.fixture(scope="session")
def admin(server: Server) -> Any:
    a = Admin(server)
    yield a
    a.http.close()


@pytest.fixture(scope="session")
def demo_key_2(server: Server, admin: Admin) -> str:
    """A second key of the demo customer (its own rate-limit bucket) for raw REST observers."""
    demo = [c for c in admin.call("GET", "/customers") if c["name"] == "demo"][0]
    return admin.call("POST", "/keys", {"customer_id": demo["id"], "name": "observer"}, 201)["key"]
