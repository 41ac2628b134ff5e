"""Choosing the broker's two ports (client and controller) on 127.0.0.1.

The choice is a pure function over "is this port free?" and "give me a free port",
so the rules (an explicit port wins, else the one used last time, else any free
one) are tested without binding anything.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

from podium.broker._config import LOOPBACK
from podium.errors import BrokerError


@dataclass(frozen=True)
class Ports:
    """The client (PLAINTEXT) port and the KRaft controller port."""

    port: int
    controller_port: int


def plan_ports(
    *,
    requested: int | None,
    recorded: Ports | None,
    is_free: Callable[[int], bool],
    free_port: Callable[[], int],
) -> Ports:
    """Ports for the next start: keep the recorded ones so the address survives restarts."""
    port = _client_port(requested, recorded, is_free, free_port)
    if recorded and recorded.controller_port != port and is_free(recorded.controller_port):
        return Ports(port, recorded.controller_port)
    return Ports(port, _other_free_port(port, free_port))


def _client_port(
    requested: int | None,
    recorded: Ports | None,
    is_free: Callable[[int], bool],
    free_port: Callable[[], int],
) -> int:
    if requested is not None:
        if not is_free(requested):
            raise BrokerError(
                f"port {requested} on {LOOPBACK} is in use by another program: "
                "choose another with --port, or leave --port out to take a free one"
            )
        return requested
    if recorded is None:
        return free_port()
    if not is_free(recorded.port):
        raise BrokerError(
            f"port {recorded.port}, where this broker listened before, is now in use by "
            "another program: stop that program, or move the broker with --port N"
        )
    return recorded.port


def _other_free_port(taken: int, free_port: Callable[[], int]) -> int:
    """A free port that is not ``taken`` (the OS may hand out the same one twice)."""
    for _ in range(20):
        candidate = free_port()
        if candidate != taken:
            return candidate
    raise BrokerError(f"could not find a free port on {LOOPBACK} for the Kafka controller")


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now.

    SO_REUSEADDR makes this agree with Kafka, which also sets it: connections still
    in TIME_WAIT from the last run do not make the port look busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the OS considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port
