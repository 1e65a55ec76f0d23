"""aimlib: the Python SDK for leased mobile devices, their raw mobile proxies and managed browsers.

Async only. The proxy surface needs only httpx; the managed browser additionally needs Playwright
(``pip install "aimlib[browser]"``), which is imported lazily, on the first ``connect()``.

    async with Aimlib() as ai:                      # AIMLIB_API_KEY, AIMLIB_BASE_URL
        device = (await ai.devices.list())[0]
        print(device.proxy.url)                     # socks5h://user:pass@host:port
        async with await device.browser(profile="pixel-8-pro", ttl="10m") as session:
            page = await session.new_page()
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import os
import re
import time
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

import httpx

if TYPE_CHECKING:  # Playwright is optional and imported lazily at runtime.
    from playwright.async_api import Browser, Page, Playwright

__version__ = "0.2.0"

__all__ = [
    "Aimlib",
    "Device",
    "Proxy",
    "Health",
    "Profile",
    "BrowserSession",
    "Ticket",
    "SessionInfo",
    "CatalogueProfile",
    "Context",
    "Extension",
    "AimlibError",
    "CapacityError",
    "LeaseInactiveError",
    "DataCapError",
    "SessionExpiredError",
    "SessionTimeout",
    "TabLimitError",
    "Operation",
    "EgressIp",
    "DeviceOfflineError",
    "RotationNotAllowedError",
    "RotationInProgressError",
    "RotationTooSoonError",
    "RotationFailedError",
    "OperationTimeout",
    "LivePage",
    "Recording",
    "RecordingFile",
    "DEFAULT_BASE_URL",
]

DEFAULT_BASE_URL = "https://uswest1.aimlib.com"

# --------------------------------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------------------------------


class AimlibError(Exception):
    """Base class of every SDK error; also any API error without a typed class.

    ``status_code`` is the HTTP status (None for client-side errors), ``code`` the server's error
    code (``"capacity_unavailable"``, ``"bad id"``, … or None), ``message`` the server's detail.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: Optional[int] = None,
        code: Optional[str] = None,
        detail: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = detail
        self.retry_after = retry_after


class CapacityError(AimlibError):
    """``capacity_unavailable``: a device or customer session cap, or no browser-host capacity."""


class LeaseInactiveError(AimlibError):
    """``lease_inactive``: no active lease with a proxy on the device, or the account is not active."""


class DataCapError(AimlibError):
    """``data_cap_exceeded``: the device's monthly cellular cap is reached."""


class SessionExpiredError(AimlibError):
    """``session_expired``; also raised locally when the session 404s while waiting for it."""


class SessionTimeout(AimlibError):
    """``session_provisioning``, or the readiness wait exceeded its timeout."""


class TabLimitError(AimlibError):
    """Raised client-side when ``new_page()`` would open more than ``session.max_tabs`` tabs."""


class DeviceOfflineError(AimlibError):
    """``device_offline`` (409): the device's agent is not connected, so it cannot rotate now."""


class RotationNotAllowedError(AimlibError):
    """``rotation_not_allowed`` (409): only the holder of the device's only active lease may rotate it."""


class RotationInProgressError(AimlibError):
    """``rotation_in_progress`` (409): the device is rotating already; poll that operation instead."""


class RotationTooSoonError(AimlibError):
    """``rotation_too_soon`` (429): the device rotated too recently; ``retry_after`` says when it may again."""


class OperationTimeout(AimlibError):
    """Raised client-side when ``operations.wait()`` (or ``rotate_ip(wait=True)``) ran out of time first;
    ``operation`` is the operation as last seen (still ``queued`` or ``running``)."""

    def __init__(self, message: str, operation: "Operation") -> None:
        super().__init__(message)
        self.operation = operation


class RotationFailedError(AimlibError):
    """Raised client-side by ``rotate_ip(wait=True)`` when the rotation ended ``failed`` or ``timeout``:
    ``operation`` carries the status, the reason (``ip_unchanged``, ``rotate_command_timeout``, …) and the IPs.
    The device keeps serving with the IP it has (``operation.new_ip``)."""

    def __init__(self, message: str, operation: "Operation") -> None:
        super().__init__(message, code=operation.reason)
        self.operation = operation


# The documented code -> exception table ("SDK Exception Mapping"), plus the rotation codes. Anything else: AimlibError.
_ERROR_BY_CODE: dict[str, type[AimlibError]] = {
    "capacity_unavailable": CapacityError,
    "lease_inactive": LeaseInactiveError,
    "data_cap_exceeded": DataCapError,
    "session_expired": SessionExpiredError,
    "session_provisioning": SessionTimeout,
    "device_offline": DeviceOfflineError,
    "rotation_not_allowed": RotationNotAllowedError,
    "rotation_in_progress": RotationInProgressError,
    "rotation_too_soon": RotationTooSoonError,
}

# Retried with a bounded back-off (honouring Retry-After) instead of raised at once:
# 503 capacity_unavailable (no host capacity in the region, or the adoption race) and the rate
# limiter's 429 rate_limited. A 429 capacity_unavailable is a device/customer cap: raised at once.
_RETRYABLE = {(503, "capacity_unavailable"), (429, "rate_limited")}
_MAX_RETRY_SLEEP = 30.0  # total seconds one call may spend sleeping between retries

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]*)@")


def _redact(text: str, secrets: Sequence[Optional[str]] = ()) -> str:
    """Removes passwords of ``scheme://user:pass@`` URLs and the given secrets from ``text``."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", text)
    for s in secrets:
        if s and len(s) >= 6:
            text = text.replace(s, "***")
    return text


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_from_response(resp: httpx.Response, secrets: Sequence[Optional[str]] = ()) -> AimlibError:
    """Maps an error response to its exception (the documented table; AimlibError otherwise)."""
    status = resp.status_code
    retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
    text = resp.text.strip() if resp.content else ""
    code: Optional[str] = None
    detail: Optional[str] = None
    try:
        body = resp.json() if text else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body["error"]
        if isinstance(body.get("message"), str):
            detail = body["message"]
        message = f"{code}: {detail}" if detail else code
        message = f"{message} (HTTP {status})"
        cls = _ERROR_BY_CODE.get(code, AimlibError)
    else:
        message = text if text else f"HTTP {status}"
        cls = AimlibError
    return cls(_redact(message, secrets), status_code=status, code=code, detail=detail, retry_after=retry_after)


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhSMH]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


def _duration_seconds(value: Union[int, float, str, None], name: str = "duration") -> Optional[int]:
    """int/float seconds, or "30s" / "10m" / "1h" / a bare number string (seconds), as whole seconds.

    Fractions are rounded up (the server counts whole seconds and would treat 0 as "default").
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds or a duration string, not a bool")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"{name} must be seconds or a duration like '30s', '10m', '1h', got {value!r}")
        seconds = float(m.group(1)) * _UNIT[m.group(2).lower()]
    else:
        raise TypeError(f"{name} must be int, float or str, not {type(value).__name__}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"{name} must be finite")
    return int(math.ceil(seconds))


@dataclass
class Profile:
    """Typed device-profile overrides; a field left as None is omitted and keeps the profile default.

    Only these seven fields are serialised; pass a plain dict for any other allow-listed key.
    """

    device: Optional[str] = None
    timezone: Optional[str] = None
    locale: Optional[str] = None
    cores: Optional[int] = None
    ram_gb: Optional[int] = None
    screen: Optional[tuple[int, int]] = None
    dpi: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        """The request's ``profile`` object: the fields that are set, ``screen`` as a JSON array."""
        out: dict[str, Any] = {}
        for key in ("device", "timezone", "locale", "cores", "ram_gb", "screen", "dpi"):
            value = getattr(self, key)
            if value is None:
                continue
            out[key] = [int(v) for v in value] if key == "screen" else value
        return out


ProfileLike = Union[str, Profile, Mapping[str, Any], None]
DurationLike = Union[int, float, str, None]


def _profile_body(profile: ProfileLike) -> Optional[dict[str, Any]]:
    if profile is None:
        return None
    if isinstance(profile, str):
        return {"device": profile}
    if isinstance(profile, Profile):
        return profile.to_dict()
    if isinstance(profile, Mapping):
        return dict(profile)  # passed through as-is; the server sanitises it
    raise TypeError(f"profile must be a device name, a Profile or a dict, not {type(profile).__name__}")


@dataclass(repr=False)
class Proxy:
    """The raw mobile proxy of a lease. ``url`` carries the credentials; ``repr()`` hides the password.

    ``http_url`` and ``socks5h_url`` (extensions) are the same credentials on the gateway's single proxy port,
    which tells HTTP from SOCKS5 by the first byte: ``http_url`` works with clients that have no SOCKS support
    (``httpx`` without its ``socks`` extra), ``socks5h_url`` with those that do. ``None`` on older gateways.
    """

    id: str
    url: str
    protocol: str
    status: str
    http_url: Optional[str] = None
    socks5h_url: Optional[str] = None

    def __repr__(self) -> str:
        return (
            f"Proxy(id={self.id!r}, protocol={self.protocol!r}, url={_redact(self.url)!r}, status={self.status!r}, "
            f"http_url={_redact(self.http_url) if self.http_url else None!r}, "
            f"socks5h_url={_redact(self.socks5h_url) if self.socks5h_url else None!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class Health:
    """A device's compact health (extension): ``status`` is ``"healthy"``, ``"unhealthy"`` (no egress for the
    gateway's configured time) or ``"unknown"``; the rest is ``None`` when the device's platform does not give it."""

    status: str = "unknown"
    network_type: Optional[str] = None
    signal_dbm: Optional[int] = None
    battery_pct: Optional[int] = None
    temperature_c: Optional[float] = None
    rtt_ms: Optional[float] = None
    last_rotation_at: Optional[str] = None
    updated_at: Optional[str] = None

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> "Health":
        return cls(
            status=data.get("status") or "unknown",
            network_type=data.get("network_type"),
            signal_dbm=data.get("signal_dbm"),
            battery_pct=data.get("battery_pct"),
            temperature_c=data.get("temperature_c"),
            rtt_ms=data.get("rtt_ms"),
            last_rotation_at=data.get("last_rotation_at"),
            updated_at=data.get("updated_at"),
        )


_FINISHED = {"succeeded", "failed", "timeout"}


@dataclass
class Operation:
    """A device operation (``GET /v1/operations/{id}``): an IP rotation with its ``status`` (``queued``,
    ``running``, ``succeeded``, ``failed``, ``timeout``), old and new IP, ``reason`` and timestamps."""

    id: str
    status: str
    kind: str = "rotate_ip"
    device_id: Optional[str] = None
    trigger: Optional[str] = None
    old_ip: Optional[str] = None
    new_ip: Optional[str] = None
    reason: Optional[str] = None
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None

    @property
    def done(self) -> bool:
        """True once the operation can no longer change."""
        return self.status in _FINISHED

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Operation":
        return cls(
            id=d["operation_id"],
            status=d.get("status", ""),
            kind=d.get("kind", "rotate_ip"),
            device_id=d.get("device_id"),
            trigger=d.get("trigger"),
            old_ip=d.get("old_ip"),
            new_ip=d.get("new_ip"),
            reason=d.get("reason"),
            created_at=d.get("created_at"),
            started_at=d.get("started_at"),
            finished_at=d.get("finished_at"),
        )


@dataclass(frozen=True)
class EgressIp:
    """One egress IP of a device during the caller's lease (``GET /v1/devices/{id}/ips``)."""

    ip: str
    first_seen: str
    last_seen: str
    current: bool = False
    source: str = "observed"
    operation_id: Optional[str] = None
    lease_id: Optional[str] = None

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "EgressIp":
        return cls(
            ip=d["ip"],
            first_seen=d.get("first_seen", ""),
            last_seen=d.get("last_seen", ""),
            current=bool(d.get("current", False)),
            source=d.get("source", "observed"),
            operation_id=d.get("operation_id"),
            lease_id=d.get("lease_id"),
        )


_ROTATE_DEFAULT_TIMEOUT = 120.0
_SERVER_WAIT_MAX = 300


@dataclass(repr=False)
class Device:
    """A device leased to the caller (one entry of ``GET /v1/devices``)."""

    id: str
    region: Optional[str] = None
    carrier: Optional[str] = None
    current_egress_ip: Optional[str] = None
    proxy: Optional[Proxy] = None
    lease_id: Optional[str] = None
    lease_ends_at: Optional[str] = None
    browser_available: bool = True
    health: Optional[Health] = None
    _client: Optional["Aimlib"] = field(default=None, compare=False)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any], client: "Aimlib") -> "Device":
        p = data.get("proxy")
        proxy = None
        if isinstance(p, Mapping):
            proxy = Proxy(id=p.get("id"), url=p.get("url"), protocol=p.get("protocol"), status=p.get("status"),
                          http_url=p.get("http_url"), socks5h_url=p.get("socks5h_url"))
        lease = data.get("lease") if isinstance(data.get("lease"), Mapping) else {}
        browser = data.get("browser") if isinstance(data.get("browser"), Mapping) else {}
        return cls(
            id=data.get("device_id") or data.get("id"),
            region=data.get("region"),
            carrier=data.get("carrier"),
            current_egress_ip=data.get("current_egress_ip"),
            proxy=proxy,
            lease_id=lease.get("id"),
            lease_ends_at=lease.get("ends_at"),
            browser_available=bool(browser.get("available", True)),
            health=Health._from_json(data["health"]) if isinstance(data.get("health"), Mapping) else None,
            _client=client,
        )

    def __repr__(self) -> str:
        return (
            f"Device(id={self.id!r}, region={self.region!r}, carrier={self.carrier!r}, "
            f"current_egress_ip={self.current_egress_ip!r}, proxy={self.proxy!r})"
        )

    __str__ = __repr__

    async def browser(
        self,
        profile: ProfileLike = None,
        ttl: DurationLike = None,
        idle_timeout: DurationLike = None,
        sticky: Optional[bool] = None,
        start_url: Optional[str] = None,
        *,
        context_id: Optional[str] = None,
        extensions: Optional[Sequence[str]] = None,
        persist: bool = False,
        context_name: Optional[str] = None,
        recording: Optional[Mapping[str, bool]] = None,
    ) -> "BrowserSession":
        """Provisions a managed browser on this device (``POST /v1/devices/{id}/browser``).

        Returns an unconnected :class:`BrowserSession`; ``async with await device.browser(...)``
        connects on entry and stops on exit. Omitted arguments are left to the server's defaults.

        ``start_url`` (an extension of the documented API): the page the first tab opens as soon as
        the browser is up; http(s) only, a bare domain gets ``https://`` (the server answers 400
        ``bad_request`` for anything else). ``session.new_page()`` then returns that tab first.

        Additions (keyword only): ``context_id`` starts from a saved context (its cookies, storage and
        profile; do not pass ``profile`` with it), ``extensions`` loads uploaded extensions by id, and
        ``persist=True`` (with an optional ``context_name``) saves the session's state when it stops:
        into the context it started from, else into a new one.

        ``recording`` (an extension, keyword only): ``{"har": True, "screenshots": True, "video": True}``
        records the session; its files are at ``session.recording``.
        """
        if self._client is None:
            raise AimlibError("this Device is not bound to a client; get it from ai.devices.list()")
        body: dict[str, Any] = {}
        prof = _profile_body(profile)
        if prof is not None:
            body["profile"] = prof
        t = _duration_seconds(ttl, "ttl")
        if t is not None:
            body["ttl"] = t
        it = _duration_seconds(idle_timeout, "idle_timeout")
        if it is not None:
            body["idle_timeout"] = it
        if sticky is not None:
            body["sticky"] = bool(sticky)
        if start_url is not None:
            body["start_url"] = start_url
        if context_id is not None:
            body["context_id"] = str(context_id)
        if extensions:
            body["extensions"] = [str(e) for e in extensions]
        if recording is not None:
            body["recording"] = {k: bool(v) for k, v in dict(recording).items()}
        resp = await self._client._request("POST", f"/v1/devices/{self.id}/browser", json=body)
        session = BrowserSession._from_create(resp.json(), self, self._client)
        session.persist = bool(persist)
        session.context_name = context_name
        session.context_id = str(context_id) if context_id is not None else None
        return session

    def _bound(self) -> "Aimlib":
        if self._client is None:
            raise AimlibError("this Device is not bound to a client; get it from ai.devices.list()")
        return self._client

    async def rotate_ip(self, wait: bool = True, timeout: DurationLike = None) -> Operation:
        """Rotates the device's egress IP (``POST /v1/devices/{id}/rotate-ip``).

        With ``wait=True`` (the default) returns once the gateway *confirmed* a different IP through the
        device's what-is-my-IP probe, and raises :class:`RotationFailedError` when the rotation ended
        ``failed`` or ``timeout`` (the device keeps serving), or :class:`OperationTimeout` when ``timeout``
        (default 120 s) passed first. With ``wait=False`` returns the queued operation at once; follow it with
        ``ai.operations.wait(op.id)``. Raises :class:`RotationNotAllowedError`, :class:`RotationInProgressError`,
        :class:`RotationTooSoonError` (with ``retry_after``) or :class:`DeviceOfflineError`.
        """
        client = self._bound()
        if not wait:
            resp = await client._request("POST", f"/v1/devices/{self.id}/rotate-ip", json={"wait": False}, retry=False)
            return Operation._from_json(resp.json())
        total = float(_duration_seconds(timeout, "timeout") or _ROTATE_DEFAULT_TIMEOUT)
        deadline = time.monotonic() + total
        # The server blocks at most this long per request: within the HTTP client's own timeout.
        server_wait = max(1, min(_SERVER_WAIT_MAX, int(total), int(client.timeout) - 2))
        resp = await client._request(
            "POST", f"/v1/devices/{self.id}/rotate-ip", json={"wait": True, "timeout": server_wait}, retry=False
        )
        op = Operation._from_json(resp.json())
        if not op.done:
            op = await client.operations.wait(op.id, timeout=max(0.0, deadline - time.monotonic()))
        if not op.succeeded:
            raise RotationFailedError(f"rotation {op.id} ended {op.status}: {op.reason}", op)
        self.current_egress_ip = op.new_ip
        return op

    async def ips(self) -> list[EgressIp]:
        """The egress IPs this device had during the caller's leases, newest first (``GET /v1/devices/{id}/ips``),
        including changes the carrier made on its own."""
        resp = await self._bound()._request("GET", f"/v1/devices/{self.id}/ips")
        return [EgressIp._from_json(d) for d in resp.json()]

    async def set_rotation_schedule(self, interval: DurationLike) -> dict[str, Any]:
        """Rotates the device every ``interval`` (seconds or ``"10m"``; None turns the schedule off) for the
        rest of the lease (``PUT /v1/devices/{id}/rotation-schedule``). Answers ``interval`` and ``next_rotation_at``."""
        seconds = _duration_seconds(interval, "interval")
        resp = await self._bound()._request("PUT", f"/v1/devices/{self.id}/rotation-schedule", json={"interval": seconds})
        return resp.json()


@dataclass(repr=False)
class Ticket:
    """A support ticket with its whole thread."""

    id: str
    subject: str
    status: str
    customer_closed: bool = False
    operator_closed: bool = False
    awaiting_close_from: Optional[str] = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False
    created_at: Optional[str] = None
    updated_at: Optional[str] = None

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Ticket":
        return cls(
            id=d["id"],
            subject=d.get("subject", ""),
            status=d.get("status", ""),
            customer_closed=bool(d.get("customer_closed", False)),
            operator_closed=bool(d.get("operator_closed", False)),
            awaiting_close_from=d.get("awaiting_close_from"),
            messages=list(d.get("messages") or []),
            complete=bool(d.get("complete", d.get("status") == "closed")),
            created_at=d.get("created_at"),
            updated_at=d.get("updated_at"),
        )

    def __repr__(self) -> str:
        return (
            f"Ticket(id={self.id!r}, subject={self.subject!r}, status={self.status!r}, "
            f"awaiting_close_from={self.awaiting_close_from!r}, messages={len(self.messages)})"
        )


# --------------------------------------------------------------------------------------------------
# Browser sessions
# --------------------------------------------------------------------------------------------------


@dataclass(repr=False)
class SessionInfo:
    """One of your browser sessions as ``GET /v1/sessions`` shows it (an extension of the documented
    API): live, or for the retention period (7 days) ended, with its final status, ``end_reason``
    (``stopped``, ``ttl_expired``, ``idle_timeout``, ``lease_ended`` or a failure's reason),
    ``duration_s`` and ``bytes_used``."""

    id: str
    device_id: str
    status: str
    connect_url: Optional[str] = None
    egress_ip: Optional[str] = None
    bytes_used: int = 0
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    expires_at: Optional[str] = None
    ended_at: Optional[str] = None
    end_reason: Optional[str] = None
    duration_s: Optional[int] = None
    start_url: Optional[str] = None

    @property
    def ended(self) -> bool:
        return self.status in ("gone", "failed")

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "SessionInfo":
        return cls(
            id=d["session_id"],
            device_id=d["device_id"],
            status=d.get("status", ""),
            connect_url=d.get("connect_url"),
            egress_ip=d.get("egress_ip"),
            bytes_used=int(d.get("bytes_used") or 0),
            created_at=d.get("created_at"),
            started_at=d.get("started_at"),
            expires_at=d.get("expires_at"),
            ended_at=d.get("ended_at"),
            end_reason=d.get("end_reason"),
            duration_s=d.get("duration_s"),
            start_url=d.get("start_url"),
        )

    def __repr__(self) -> str:
        return (
            f"SessionInfo(id={self.id!r}, device_id={self.device_id!r}, status={self.status!r}, "
            f"egress_ip={self.egress_ip!r}, bytes_used={self.bytes_used}, end_reason={self.end_reason!r})"
        )

_CONNECTABLE = {"ready", "active", "idle"}
_FIRST_POLL_S = 0.0       # the first readiness poll goes out at once (well within 50 ms)
_FAST_POLL_S = 0.1        # first 10 s, and around the expected boot time: 100 ms between polls
_FAST_WINDOW_S = 10.0
_FIRST_SECONDS_POLL_S = 0.05  # the first 5 s (a warm boot is ~0.3-2 s): 50 ms
_SLOW_POLL_S = 2.0        # between them (a 60 s cold boot): spare the 1000/h rate limit
_LATE_POLL_S = 1.0        # long after the expected time


def _poll_interval(elapsed: float, expected: float) -> float:
    """Seconds until the next readiness poll, ``elapsed`` seconds into a boot expected (``ready_in_s``)
    to take ``expected``: every 50 ms for the first 5 s, every 100 ms until 10 s (warm boots take well under a second), sparse
    until 3 s before the expected time, every 100 ms from then until 10 s past it, then every second."""
    if elapsed < 5.0:
        return _FIRST_SECONDS_POLL_S
    if elapsed < _FAST_WINDOW_S:
        return _FAST_POLL_S
    if elapsed < expected - 3.0:
        return max(_FAST_POLL_S, min(_SLOW_POLL_S, (expected - 3.0 - elapsed) / 2))
    if elapsed < max(expected, _FAST_WINDOW_S) + 10.0:
        return _FAST_POLL_S
    return _LATE_POLL_S


def _discovery_url(connect_url: str) -> str:
    """``wss://gw/cdp/<id>`` → ``https://gw/cdp/<id>`` (``ws://`` → ``http://``): Playwright's CDP endpoint."""
    if connect_url.startswith("wss://"):
        return "https://" + connect_url[len("wss://"):]
    if connect_url.startswith("ws://"):
        return "http://" + connect_url[len("ws://"):]
    return connect_url


class BrowserSession:
    """A managed browser on a device, driven with Playwright over the gateway's CDP relay."""

    id: str
    device: Device
    status: str
    connect_url: str
    connect_token: Optional[str]
    max_tabs: int
    egress_ip: Optional[str]
    fingerprint: dict[str, Any]
    browser: Optional["Browser"]

    def __init__(self, data: Mapping[str, Any], device: Device, client: "Aimlib") -> None:
        self.id = data["session_id"]
        self.device = device
        self.status = data.get("status", "provisioning")
        self.connect_url = data.get("connect_url", "")
        self.connect_token = data.get("connect_token")
        self.max_tabs = int(data.get("max_tabs") or 5)
        self.egress_ip = data.get("egress_ip")
        self.fingerprint = dict(data.get("resolved_profile") or {})
        self.region: Optional[str] = data.get("region")
        self.expires_at: Optional[str] = data.get("expires_at")
        self.started_at: Optional[str] = data.get("started_at")
        self.ready_in_s: Optional[float] = data.get("ready_in_s")
        self.browser = None
        self._client = client
        self._playwright: Optional["Playwright"] = None
        self._handed_out: list["Page"] = []
        self._initial_tab_used = False
        self._connect_lock = asyncio.Lock()
        self.persist = False
        self.context_name: Optional[str] = None
        self.context_id: Optional[str] = None

    @classmethod
    def _from_create(cls, data: Mapping[str, Any], device: Device, client: "Aimlib") -> "BrowserSession":
        return cls(data, device, client)

    def __repr__(self) -> str:
        return (
            f"BrowserSession(id={self.id!r}, device={self.device.id!r}, status={self.status!r}, "
            f"connect_url={self.connect_url!r}, max_tabs={self.max_tabs}, egress_ip={self.egress_ip!r}, "
            f"connected={self.browser is not None})"
        )

    __str__ = __repr__

    @property
    def _path(self) -> str:
        return f"/v1/devices/{self.device.id}/browser"

    def _update(self, data: Mapping[str, Any]) -> None:
        self.status = data.get("status", self.status)
        if data.get("connect_url"):
            self.connect_url = data["connect_url"]
        if "egress_ip" in data:
            self.egress_ip = data.get("egress_ip")
        if data.get("resolved_profile") is not None:
            self.fingerprint = dict(data["resolved_profile"])
        self.expires_at = data.get("expires_at", self.expires_at)
        self.started_at = data.get("started_at", self.started_at)

    async def wait_until_ready(self, timeout: float = 180) -> None:
        """Polls ``GET /v1/devices/{id}/browser`` until the session is ``ready``.

        Raises SessionExpiredError (404, or the session was stopped/replaced), AimlibError
        (``failed``/``gone``), SessionTimeout (not ready within ``timeout`` seconds).
        """
        start = time.monotonic()
        deadline = start + max(0.0, float(timeout))
        expected = float(self.ready_in_s) if self.ready_in_s else 60.0
        delay = _FIRST_POLL_S
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                resp = await self._client._request("GET", self._path, deadline=deadline)
            except AimlibError as e:
                if e.status_code == 404:
                    raise SessionExpiredError(
                        f"session {self.id} not found (expired or stopped)", status_code=404, code=e.code
                    ) from None
                raise
            data = resp.json()
            if data.get("session_id") not in (None, self.id):
                raise SessionExpiredError(f"session {self.id} is no longer the device's session", status_code=404)
            self._update(data)
            if self.status in _CONNECTABLE:
                return
            if self.status in ("failed", "gone"):
                raise AimlibError(f"session {self.id} is {self.status}")
            if self.status == "expiring":
                raise SessionExpiredError(f"session {self.id} is expiring")
            now = time.monotonic()
            if now >= deadline:
                raise SessionTimeout(f"session {self.id} not ready within {timeout:g} s (status {self.status})")
            delay = _poll_interval(now - start, expected)
            retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
            if retry_after:
                delay = max(delay, retry_after)
            delay = min(delay, max(0.0, deadline - now))

    async def _probe_relay(self, deadline: float) -> None:
        """Asks the relay's discovery endpoint first, so its refusals become typed errors
        (425 → retried until the deadline, then SessionTimeout; 410 → SessionExpiredError; …)."""
        url = _discovery_url(self.connect_url).rstrip("/") + "/json/version"
        headers = {"Authorization": f"Bearer {self.connect_token}"} if self.connect_token else {}
        while True:
            try:
                resp = await self._client._http.get(url, headers=headers)
            except httpx.HTTPError as e:
                raise AimlibError(_redact(f"CDP relay unreachable: {type(e).__name__}: {e}", self._client._secrets(self))) from None
            if resp.status_code < 400:
                return
            err = _error_from_response(resp, self._client._secrets(self))
            transient = resp.status_code == 425 or (resp.status_code == 503 and err.code == "host_unavailable")
            now = time.monotonic()
            if not transient or now >= deadline:
                raise err
            wait = err.retry_after if resp.status_code == 425 and err.retry_after is not None else 0.1
            await asyncio.sleep(min(max(wait, 0.05), max(0.0, deadline - now)))

    async def connect(self, timeout: float = 180) -> "Browser":
        """Waits until ready, then connects Playwright over CDP and returns the live ``Browser``."""
        async with self._connect_lock:
            if self.browser is not None and self.browser.is_connected():
                return self.browser
            deadline = time.monotonic() + max(0.0, float(timeout))
            await self.wait_until_ready(timeout=timeout)
            await self._probe_relay(deadline)
            try:
                from playwright.async_api import async_playwright
            except ImportError as e:  # pragma: no cover - depends on the extra
                raise AimlibError(
                    'the managed browser needs Playwright: pip install "aimlib[browser]"'
                ) from e
            headers = {"Authorization": f"Bearer {self.connect_token}"} if self.connect_token else {}
            pw = await async_playwright().start()
            try:
                remaining_ms = max(1000.0, (deadline - time.monotonic()) * 1000)
                self.browser = await pw.chromium.connect_over_cdp(
                    _discovery_url(self.connect_url), headers=headers, timeout=remaining_ms
                )
            except Exception as e:
                await pw.stop()
                raise AimlibError(
                    _redact(f"could not connect to session {self.id}: {e}", self._client._secrets(self))
                ) from None
            self._playwright = pw
            return self.browser

    def _open_pages(self) -> list["Page"]:
        assert self.browser is not None
        return [p for ctx in self.browser.contexts for p in ctx.pages if not p.is_closed()]

    async def new_page(self) -> "Page":
        """Opens a tab (connecting first if needed): the initial tab on the first call, then new ones
        up to ``max_tabs``; past it TabLimitError. Closing a page frees its slot."""
        if self.browser is None or not self.browser.is_connected():
            await self.connect()
        assert self.browser is not None
        open_pages = self._open_pages()
        if not self._initial_tab_used:
            self._initial_tab_used = True
            for p in open_pages:
                if p not in self._handed_out:
                    self._handed_out.append(p)
                    return p
        if len(open_pages) >= self.max_tabs:
            raise TabLimitError(
                f"session {self.id} already has {len(open_pages)} open tabs (max_tabs={self.max_tabs}); "
                "close a page or start a separate session"
            )
        context = self.browser.contexts[0] if self.browser.contexts else await self.browser.new_context()
        page = await context.new_page()
        self._handed_out = [p for p in self._handed_out if not p.is_closed()] + [page]
        return page

    async def save_context(self, name: Optional[str] = None, context_id: Optional[str] = None) -> "Context":
        """Saves the running session's cookies and storage now (``POST /v1/sessions/{id}/context``): into
        ``context_id``, or a new context named ``name``, or the context the session started from."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if context_id is not None:
            body["context_id"] = str(context_id)
        resp = await self._client._request("POST", f"/v1/sessions/{self.id}/context", json=body, retry=False)
        return Context._from_json(resp.json())

    async def stop(self, persist: Optional[bool] = None, context_name: Optional[str] = None) -> Optional[str]:
        """Closes the browser, stops Playwright and DELETEs the session. Best effort: never raises —
        except with ``persist`` (default: as given at create), which saves the session's state first and
        raises when that fails (``context_too_large`` …); then it returns the saved context's id."""
        keep = self.persist if persist is None else bool(persist)
        if keep:
            return await self._stop_persisting(context_name if context_name is not None else self.context_name)
        browser, pw = self.browser, self._playwright
        self.browser, self._playwright = None, None
        self._handed_out = []
        if browser is not None:
            try:
                await browser.close()
            except Exception:
                pass
        if pw is not None:
            try:
                await pw.stop()
            except Exception:
                pass
        try:
            await self._client._request("DELETE", self._path, retry=False)
            self.status = "expiring"
        except Exception:
            pass
        return None

    async def _stop_persisting(self, context_name: Optional[str]) -> str:
        browser, pw = self.browser, self._playwright
        self.browser, self._playwright = None, None
        self._handed_out = []
        # Playwright's close() of a connected browser only disconnects: the browser keeps running until saved.
        for closing in (browser.close if browser is not None else None, pw.stop if pw is not None else None):
            if closing is not None:
                try:
                    await closing()
                except Exception:
                    pass
        body: dict[str, Any] = {"persist": True}
        if context_name is not None:
            body["context_name"] = context_name
        resp = await self._client._request("DELETE", self._path, json=body, retry=False)
        self.status = "expiring"
        self.persist = False
        self.context_id = resp.json().get("context_id")
        return self.context_id  # type: ignore[return-value]

    async def pages(self, link_ttl: Optional[int] = None) -> list["LivePage"]:
        """The open tabs with their live-view and inspector links (an extension,
        ``GET /v1/sessions/{id}/pages``). The interactive and inspector links are ``None`` unless the
        API key holds ``sessions.write``; every link expires after ``link_ttl`` seconds (default 900)."""
        path = f"/v1/sessions/{self.id}/pages" + (f"?link_ttl={int(link_ttl)}" if link_ttl is not None else "")
        resp = await self._client._request("GET", path)
        return [LivePage._from_json(p) for p in resp.json().get("pages", [])]

    async def live_view_url(self, interactive: bool = False) -> str:
        """A signed live-view link of the first tab, to open in any browser: read-only by default,
        or one a person can click and type into (needs a ``sessions.write`` key)."""
        pages = await self.pages()
        if not pages:
            raise AimlibError("the session has no open tab")
        url = pages[0].interactive_live_view_url if interactive else pages[0].live_view_url
        if url is None:
            raise AimlibError("an interactive live view needs an API key with the sessions.write scope")
        return url

    @property
    def recording(self) -> "Recording":
        """The session's recording (an extension): ``await session.recording.list()`` and
        ``await session.recording.download(name, path)``; also after the session stopped."""
        return Recording(self._client, self.id)

    async def __aenter__(self) -> "BrowserSession":
        try:
            await self.connect()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@dataclass(repr=False)
class LivePage:
    """One open tab of a session with its signed links (an extension)."""

    id: str
    url: str
    title: str
    live_view_url: str
    interactive_live_view_url: Optional[str]
    inspector_url: Optional[str]
    inspector_ws_url: Optional[str]

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "LivePage":
        return cls(d["id"], d.get("url", ""), d.get("title", ""), d["live_view_url"], d.get("interactive_live_view_url"),
                   d.get("inspector_url"), d.get("inspector_ws_url"))

    def __repr__(self) -> str:  # the links are credentials: never printed
        return f"LivePage(id={self.id!r}, url={self.url!r}, title={self.title!r})"

    __str__ = __repr__


@dataclass
class RecordingFile:
    """One recorded file: ``recording.har``, ``video.mp4`` or ``screenshots/<name>.png``."""

    name: str
    kind: str
    bytes: int
    url: str


@dataclass
class RecordingListing:
    """What ``GET /v1/sessions/{id}/recording`` answered."""

    session_id: str
    status: str
    recording: dict[str, bool]
    expires_at: Optional[str]
    files: list[RecordingFile]
    used_bytes: int
    quota_bytes: int


class Recording:
    """A session's recording files (an extension), kept for the gateway's retention period after the
    session ended."""

    def __init__(self, client: "Aimlib", session_id: str) -> None:
        self._client = client
        self.session_id = session_id

    def __repr__(self) -> str:
        return f"Recording(session_id={self.session_id!r})"

    async def list(self) -> RecordingListing:
        d = (await self._client._request("GET", f"/v1/sessions/{self.session_id}/recording")).json()
        storage = d.get("storage") or {}
        return RecordingListing(
            d["session_id"], d["status"], dict(d.get("recording") or {}), d.get("expires_at"),
            [RecordingFile(f["name"], f["kind"], int(f["bytes"]), f["url"]) for f in d.get("files", [])],
            int(storage.get("used_bytes", 0)), int(storage.get("quota_bytes", 0)))

    async def download(self, name: str, to: Union[str, os.PathLike[str]]) -> str:
        """Streams ``name`` into ``to`` (a directory, where the file keeps its own name, or a file path);
        returns the path written."""
        target = os.fspath(to)
        if os.path.isdir(target):
            target = os.path.join(target, name.rsplit("/", 1)[-1])
        path = f"/v1/sessions/{self.session_id}/recording/{name}"
        async with self._client._http.stream("GET", path) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                raise _error_from_response(resp, self._client._secrets())
            with open(target, "wb") as out:
                async for chunk in resp.aiter_bytes():
                    out.write(chunk)
        return target


# --------------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------------


class _Devices:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def list(self) -> list[Device]:
        """The devices the caller holds an active lease on (``GET /v1/devices``)."""
        resp = await self._client._request("GET", "/v1/devices")
        return [Device._from_json(d, self._client) for d in resp.json()]

    async def get(self, device_id: str) -> Device:
        """One leased device, found client-side in ``list()``; AimlibError if it is not leased."""
        for d in await self.list():
            if d.id == device_id:
                return d
        raise AimlibError(f"device {device_id} is not leased to this account")


@dataclass(frozen=True)
class CatalogueProfile:
    """One device of the server's catalogue (``GET /v1/profiles``): a ``device`` name a profile may use."""

    name: str
    aliases: list[str]
    model: Optional[str] = None
    brand: Optional[str] = None
    manufacturer: Optional[str] = None
    android_version: Optional[str] = None
    screen: Optional[list[int]] = None
    dpr: Optional[float] = None
    viewport: Optional[list[int]] = None
    cores: Optional[int] = None
    ram_gb: Optional[int] = None
    gpu: Optional[str] = None
    description: Optional[str] = None

    @classmethod
    def _from_json(cls, d: dict[str, Any]) -> "CatalogueProfile":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known and k != "aliases"}, aliases=list(d.get("aliases") or []))


class _Operations:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def get(self, operation_id: str) -> Operation:
        """One of the caller's operations (``GET /v1/operations/{id}``); 404 for anyone else's."""
        resp = await self._client._request("GET", f"/v1/operations/{operation_id}")
        return Operation._from_json(resp.json())

    async def wait(self, operation_id: str, timeout: DurationLike = None, poll: float = 0.5) -> Operation:
        """Polls the operation until it is ``succeeded``, ``failed`` or ``timeout`` and returns it (whatever the
        outcome); :class:`OperationTimeout` when ``timeout`` (default 120 s) passes first."""
        total = float(_duration_seconds(timeout, "timeout") if timeout is not None else _ROTATE_DEFAULT_TIMEOUT)
        deadline = time.monotonic() + total
        while True:
            op = await self.get(operation_id)
            if op.done:
                return op
            left = deadline - time.monotonic()
            if left <= 0:
                raise OperationTimeout(f"operation {operation_id} still {op.status} after {total:g} s", op)
            await asyncio.sleep(min(poll, left))


class _Profiles:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def list(self) -> list[CatalogueProfile]:
        """The device catalogue (``GET /v1/profiles``), ``random`` last: names usable as ``profile=``."""
        resp = await self._client._request("GET", "/v1/profiles")
        return [CatalogueProfile._from_json(p) for p in resp.json().get("profiles", [])]


@dataclass(repr=False)
class Context:
    """A saved login (``/v1/contexts``): a session's cookies and storage with the profile it was saved with."""

    id: str
    name: str
    size_bytes: int
    source_session_id: Optional[str]
    resolved_profile: dict[str, Any]
    created_at: Optional[str]
    updated_at: Optional[str]

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Context":
        return cls(d["id"], d["name"], int(d.get("size_bytes") or 0), d.get("source_session_id"),
                   dict(d.get("resolved_profile") or {}), d.get("created_at"), d.get("updated_at"))

    def __repr__(self) -> str:
        return f"Context(id={self.id!r}, name={self.name!r}, size_bytes={self.size_bytes})"


@dataclass(repr=False)
class Extension:
    """An uploaded Chrome extension (``/v1/extensions``), as the server validated it."""

    id: str
    name: str
    version: str
    permissions: list[str]
    host_permissions: list[str]
    size_bytes: int
    file_count: int
    created_at: Optional[str]

    @classmethod
    def _from_json(cls, d: Mapping[str, Any]) -> "Extension":
        return cls(d["id"], d["name"], d.get("version", ""), list(d.get("permissions") or []),
                   list(d.get("host_permissions") or []), int(d.get("size_bytes") or 0), int(d.get("file_count") or 0),
                   d.get("created_at"))

    def __repr__(self) -> str:
        return f"Extension(id={self.id!r}, name={self.name!r}, version={self.version!r})"


class _Contexts:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def list(self) -> list[Context]:
        """Your saved contexts, oldest first."""
        resp = await self._client._request("GET", "/v1/contexts")
        return [Context._from_json(d) for d in resp.json()]

    async def get(self, context_id: str) -> Context:
        resp = await self._client._request("GET", f"/v1/contexts/{context_id}")
        return Context._from_json(resp.json())

    async def delete(self, context_id: str) -> None:
        await self._client._request("DELETE", f"/v1/contexts/{context_id}", retry=False)


class _Extensions:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def upload(self, path: Union[str, "os.PathLike[str]"], name: Optional[str] = None) -> Extension:
        """Uploads an unpacked extension directory (zipped here) or a ``.zip`` file (``POST /v1/extensions``)."""
        import io
        import zipfile
        from pathlib import Path

        p = Path(path)
        if p.is_dir():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(p.rglob("*")):
                    if f.is_file() and not f.is_symlink():
                        z.write(f, f.relative_to(p).as_posix())
            data = buf.getvalue()
        else:
            data = p.read_bytes()
        target = "/v1/extensions"
        if name is not None:
            target += "?" + str(httpx.QueryParams({"name": name}))
        resp = await self._client._request("POST", target, content=data, headers={"Content-Type": "application/zip"}, retry=False)
        return Extension._from_json(resp.json())

    async def list(self) -> list[Extension]:
        resp = await self._client._request("GET", "/v1/extensions")
        return [Extension._from_json(d) for d in resp.json()]

    async def get(self, extension_id: str) -> Extension:
        resp = await self._client._request("GET", f"/v1/extensions/{extension_id}")
        return Extension._from_json(resp.json())

    async def delete(self, extension_id: str) -> None:
        await self._client._request("DELETE", f"/v1/extensions/{extension_id}", retry=False)


class _Sessions:
    """Your browser sessions across devices (``GET /v1/sessions``, ``GET /v1/sessions/{id}``)."""

    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def list(self, status: Optional[str] = None) -> list[SessionInfo]:
        """Every session in ``status`` (all pages, newest first): None for the live ones, ``"ended"``,
        ``"all"``, or a comma-separated list of states (``"ready,active"``)."""
        out: list[SessionInfo] = []
        cursor: Optional[str] = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if status is not None:
                params["status"] = status
            if cursor is not None:
                params["cursor"] = cursor
            resp = await self._client._request("GET", "/v1/sessions", params=params)
            page = resp.json()
            out.extend(SessionInfo._from_json(d) for d in page.get("data", []))
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    async def get(self, session_id: str) -> SessionInfo:
        """One session, also after it ended (for the retention period); AimlibError with
        status_code 404 when it is not yours."""
        resp = await self._client._request("GET", f"/v1/sessions/{session_id}")
        return SessionInfo._from_json(resp.json())


class _Tickets:
    def __init__(self, client: "Aimlib") -> None:
        self._client = client

    async def create(self, subject: str, body: str) -> Ticket:
        resp = await self._client._request("POST", "/v1/tickets", json={"subject": subject, "body": body})
        return Ticket._from_json(resp.json())

    async def list(self) -> list[Ticket]:
        resp = await self._client._request("GET", "/v1/tickets")
        return [Ticket._from_json(t) for t in resp.json()]

    async def get(self, ticket_id: str) -> Ticket:
        resp = await self._client._request("GET", f"/v1/tickets/{ticket_id}")
        return Ticket._from_json(resp.json())

    async def reply(self, ticket_id: str, body: str) -> Ticket:
        resp = await self._client._request("POST", f"/v1/tickets/{ticket_id}/messages", json={"body": body})
        return Ticket._from_json(resp.json())

    async def close(self, ticket_id: str) -> Ticket:
        resp = await self._client._request("POST", f"/v1/tickets/{ticket_id}/close")
        return Ticket._from_json(resp.json())


class Aimlib:
    """The aimlib client. ``Aimlib()`` reads ``AIMLIB_API_KEY`` (required) and ``AIMLIB_BASE_URL``
    (default ``https://uswest1.aimlib.com``); ``timeout`` is the HTTP request timeout in seconds.

    ``max_retries`` (keyword only, an addition to the documented signature) bounds the retries of a
    503 ``capacity_unavailable`` and of the rate limiter's 429; 0 disables them.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = 60,
        *,
        max_retries: int = 3,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("AIMLIB_API_KEY")
        if not key:
            raise AimlibError("no API key: pass api_key= or set AIMLIB_API_KEY")
        self._api_key = key
        self.base_url = (base_url or os.environ.get("AIMLIB_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"aimlib-python/{__version__}"},
        )
        self.devices = _Devices(self)
        self.tickets = _Tickets(self)
        self.profiles = _Profiles(self)
        self.sessions = _Sessions(self)
        self.operations = _Operations(self)
        self.contexts = _Contexts(self)
        self.extensions = _Extensions(self)

    def __repr__(self) -> str:
        return f"Aimlib(base_url={self.base_url!r})"

    def _secrets(self, session: Optional[BrowserSession] = None) -> list[Optional[str]]:
        return [self._api_key, session.connect_token if session else None]

    async def device(self, device_id: str) -> Device:
        """Shorthand for ``devices.get(device_id)``."""
        return await self.devices.get(device_id)

    def recording(self, session_id: str) -> Recording:
        """A session's recording by the session's id, also after it ended (an extension)."""
        return Recording(self, session_id)

    async def aclose(self) -> None:
        """Closes the underlying HTTP client."""
        await self._http.aclose()

    async def __aenter__(self) -> "Aimlib":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        retry: bool = True,
        deadline: Optional[float] = None,
        content: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> httpx.Response:
        attempt = 0
        slept = 0.0
        while True:
            try:
                resp = await self._http.request(method, path, json=json, params=params, content=content, headers=headers)
            except httpx.HTTPError as e:
                raise AimlibError(
                    _redact(f"{method} {self.base_url}{path} failed: {type(e).__name__}: {e}", self._secrets())
                ) from None
            if resp.status_code < 400:
                return resp
            err = _error_from_response(resp, self._secrets())
            if retry and attempt < self.max_retries and (resp.status_code, err.code) in _RETRYABLE:
                wait = err.retry_after if err.retry_after is not None else 0.5 * (2 ** attempt)
                budget = _MAX_RETRY_SLEEP - slept
                if deadline is not None:
                    budget = min(budget, deadline - time.monotonic())
                if wait <= budget:
                    await asyncio.sleep(wait)
                    slept += wait
                    attempt += 1
                    continue
            raise err
