"""codecarbon never reaches the network: every socket entry point raises while the section runs."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from audits.context import AuditContext
from audits.emissions import measure, run_emissions
from audits.results import Status

from .conftest import no_progress


class NetworkCalled(AssertionError):
    pass


@pytest.fixture
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., None]:
        def _refuse(*args: object, **kwargs: object) -> None:
            calls.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise NetworkCalled(f"network access attempted: {name}")

        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    return calls


def test_guard_is_active(socket_guard: list[str]) -> None:
    # The guard itself must bite, or the tests below prove nothing.
    with pytest.raises(NetworkCalled):
        socket.getaddrinfo("example.org", 443)
    assert socket_guard


def test_tracker_with_fresh_hardware_probe_makes_no_network_call(socket_guard: list[str]) -> None:
    # Clear codecarbon's per-process hardware cache so its full setup runs under the guard.
    from codecarbon.core.hardware_cache import clear_cache

    clear_cache()
    m = measure(lambda: sum(range(100_000)), what="test", measure_power_secs=0.5)
    assert m.data["energy_consumed"] > 0
    assert socket_guard == []
    assert not any("network access attempted" in msg for msg in m.messages)


def test_whole_section_makes_no_network_call(
    socket_guard: list[str], make_ctx: Callable[..., AuditContext]
) -> None:
    res = run_emissions(make_ctx(country_iso_code="GBR"), prior={}, progress=no_progress)
    assert res.status == Status.PASS
    assert res.metrics["training"]["energy_kwh"] > 0
    assert socket_guard == []
