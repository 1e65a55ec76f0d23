"""Client-side behaviour that needs no server: durations, Profile serialisation, redaction, mapping."""

from __future__ import annotations

import httpx
import pytest

import aimlib
from aimlib import (Aimlib, AimlibError, CapacityError, DataCapError, LeaseInactiveError, Profile, Proxy,
                    SessionExpiredError, SessionTimeout, TabLimitError, _duration_seconds, _error_from_response,
                    _profile_body)


@pytest.mark.parametrize("value, seconds", [
    (None, None), (30, 30), (0, 0), (1.2, 2), (0.5, 1), ("30s", 30), ("10m", 600), ("1h", 3600), ("5m", 300),
    ("300", 300), (" 45 ", 45), ("1.5m", 90), ("2H", 7200), ("90S", 90),
])
def test_duration_strings(value, seconds):
    assert _duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["10 minutes", "m", "", "-5s", "1d", "ten"])
def test_bad_duration_strings_are_value_errors(value):
    with pytest.raises(ValueError):
        _duration_seconds(value, "ttl")


def test_bool_duration_is_a_type_error():
    with pytest.raises(TypeError):
        _duration_seconds(True, "ttl")


def test_profile_serialises_the_seven_typed_fields_with_screen_as_an_array():
    p = Profile(device="pixel-8-pro", timezone="America/Los_Angeles", locale="en-US", cores=4, ram_gb=8,
                screen=(1440, 3120), dpi=512)
    assert p.to_dict() == {"device": "pixel-8-pro", "timezone": "America/Los_Angeles", "locale": "en-US",
                           "cores": 4, "ram_gb": 8, "screen": [1440, 3120], "dpi": 512}
    assert Profile(device="random").to_dict() == {"device": "random"}
    assert Profile().to_dict() == {}


def test_profile_forms():
    assert _profile_body(None) is None
    assert _profile_body("pixel-8-pro") == {"device": "pixel-8-pro"}
    raw = {"device": "pixel-8-pro", "battery": 75, "whatever": 1}
    assert _profile_body(raw) == raw
    assert _profile_body(Profile(dpi=512)) == {"dpi": 512}
    with pytest.raises(TypeError):
        _profile_body(42)


def test_no_api_key_is_an_aimlib_error(monkeypatch):
    monkeypatch.delenv("AIMLIB_API_KEY", raising=False)
    with pytest.raises(AimlibError):
        Aimlib()


async def test_defaults_from_the_environment(monkeypatch):
    monkeypatch.setenv("AIMLIB_API_KEY", "ak_live_secretsecret")
    monkeypatch.delenv("AIMLIB_BASE_URL", raising=False)
    ai = Aimlib()
    assert ai.base_url == "https://uswest1.aimlib.com" and ai.timeout == 60
    assert "secretsecret" not in repr(ai)
    await ai.aclose()
    monkeypatch.setenv("AIMLIB_BASE_URL", "http://127.0.0.1:9/")
    async with Aimlib() as ai:
        assert ai.base_url == "http://127.0.0.1:9"


def test_proxy_repr_hides_the_password():
    p = Proxy(id="p1", url="socks5h://user1:s3cretPassw0rd@gw.example:7781", protocol="socks5", status="active")
    assert "s3cretPassw0rd" not in repr(p) and "s3cretPassw0rd" not in str(p)
    assert "user1:***@gw.example:7781" in repr(p)
    assert p.url.endswith("s3cretPassw0rd@gw.example:7781")


def test_the_documented_code_table():
    assert aimlib._ERROR_BY_CODE == {
        "capacity_unavailable": CapacityError,
        "lease_inactive": LeaseInactiveError,
        "data_cap_exceeded": DataCapError,
        "session_expired": SessionExpiredError,
        "session_provisioning": SessionTimeout,
        # Rotation (issue 15), beside the documented table:
        "device_offline": aimlib.DeviceOfflineError,
        "rotation_not_allowed": aimlib.RotationNotAllowedError,
        "rotation_in_progress": aimlib.RotationInProgressError,
        "rotation_too_soon": aimlib.RotationTooSoonError,
    }
    for cls in (CapacityError, LeaseInactiveError, DataCapError, SessionExpiredError, SessionTimeout, TabLimitError,
                aimlib.RotationFailedError, aimlib.OperationTimeout):
        assert issubclass(cls, AimlibError)
    # A rotation refused for its interval is never a capacity error (which callers may treat as "try another device").
    e = _error_from_response(httpx.Response(429, headers={"Retry-After": "42"},
                                            json={"error": "rotation_too_soon", "message": "m"}))
    assert type(e) is aimlib.RotationTooSoonError and not isinstance(e, CapacityError) and e.retry_after == 42


def test_bodyless_and_non_json_errors():
    # Pure function over a response object (no transport is mocked): the real server always sends a
    # JSON body, so these two cases cannot be provoked against it.
    e = _error_from_response(httpx.Response(502, content=b""))
    assert type(e) is AimlibError and str(e) == "HTTP 502" and e.status_code == 502
    e = _error_from_response(httpx.Response(500, content=b"upstream exploded"))
    assert type(e) is AimlibError and str(e) == "upstream exploded"


def test_readiness_poll_schedule():
    from aimlib import _FIRST_POLL_S, _discovery_url, _poll_interval
    assert _FIRST_POLL_S == 0                                   # the first poll goes out at once
    assert _poll_interval(0.0, 2) == 0.05 and _poll_interval(9.9, 60) == 0.1  # 50 ms for 5 s, 100 ms to 10 s
    assert _poll_interval(12.0, 2) == 0.1                       # a late fast boot: still 100 ms...
    assert _poll_interval(25.0, 2) == 1.0                       # ...then every second
    assert 1.0 <= _poll_interval(20.0, 60) <= 2.0               # a 60 s cold boot: sparse in between...
    assert _poll_interval(57.5, 60) == 0.1                      # ...100 ms around the expected time
    assert _poll_interval(300, 60) == 1.0
    assert _discovery_url("wss://uswest1.aimlib.com/cdp/abc") == "https://uswest1.aimlib.com/cdp/abc"
    assert _discovery_url("ws://127.0.0.1:7780/cdp/abc") == "http://127.0.0.1:7780/cdp/abc"
