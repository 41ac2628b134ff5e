"""Port choice: an explicit port wins, else last time's (a stable address), else a free one."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.broker._ports import Ports, free_port, plan_ports, port_is_free
from podium.errors import BrokerError

ports = st.integers(min_value=1024, max_value=65535)


def _free_ports(*values: int) -> Callable[[], int]:
    """A fake OS handing out ``values`` first, then 40000, 40001..."""
    handed_out = itertools.chain(values, itertools.count(40000))
    return lambda: next(handed_out)


def _all_free(_: int) -> bool:
    return True


def test_first_start_takes_free_ports() -> None:
    planned = plan_ports(
        requested=None, recorded=None, is_free=_all_free, free_port=_free_ports(5001, 5002)
    )
    assert planned == Ports(5001, 5002)


@given(recorded_port=ports, recorded_controller=ports)
def test_a_restart_keeps_the_recorded_ports(recorded_port: int, recorded_controller: int) -> None:
    recorded = Ports(recorded_port, recorded_controller)
    planned = plan_ports(
        requested=None, recorded=recorded, is_free=_all_free, free_port=_free_ports()
    )
    assert planned.port == recorded_port
    assert planned.controller_port != planned.port
    if recorded_controller != recorded_port:
        assert planned == recorded


@given(requested=ports, recorded=st.none() | st.builds(Ports, ports, ports))
def test_an_explicit_port_wins_and_never_collides(requested: int, recorded: Ports | None) -> None:
    planned = plan_ports(
        requested=requested, recorded=recorded, is_free=_all_free, free_port=_free_ports(requested)
    )
    assert planned.port == requested
    assert planned.controller_port != requested


def test_a_busy_requested_port_is_refused_with_advice() -> None:
    with pytest.raises(BrokerError, match=r"port 9092 .* in use.*--port"):
        plan_ports(
            requested=9092, recorded=None, is_free=lambda p: p != 9092, free_port=_free_ports()
        )


def test_a_busy_recorded_port_is_not_silently_moved() -> None:
    with pytest.raises(BrokerError, match=r"port 9092, where this broker listened before.*--port"):
        plan_ports(
            requested=None,
            recorded=Ports(9092, 9093),
            is_free=lambda p: p != 9092,
            free_port=_free_ports(),
        )


def test_a_busy_recorded_controller_port_moves_quietly() -> None:
    planned = plan_ports(
        requested=None,
        recorded=Ports(9092, 9093),
        is_free=lambda p: p != 9093,
        free_port=_free_ports(7000),
    )
    assert planned == Ports(9092, 7000)


def test_a_listening_port_is_busy_and_a_fresh_one_is_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not port_is_free(server.getsockname()[1])
    assert port_is_free(free_port())
