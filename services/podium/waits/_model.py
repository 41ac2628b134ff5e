"""What the waiter pairs (pure data): a waiting step attempt and an event that may end it.

Both travel on the waiter's keyed topic as JSON, keyed by :func:`pair_key`, so a wait and
the events that complete it always meet on one partition, whatever partitioning the team
gave its own topic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SIGNAL_RULE = "signal"
"""The rule of signals and approvals: the value is ``<run id>\\n<signal name>``."""


def pair_key(topic: str, rule: str, value: str) -> str:
    """The keyed topic's key: a wait and its events have the same one."""
    return f"{topic}\n{rule}\n{value}"


def signal_value(run_id: str, name: str) -> str:
    return f"{run_id}\n{name}"


@dataclass(frozen=True)
class Wait:
    """One attempt of a waiting step, and what it waits for."""

    run_id: str
    step: str
    attempt: int
    pipeline: str
    version: str
    topic: str
    rule: str
    value: str
    deadline_ms: int
    requested_ms: int
    trace: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return pair_key(self.topic, self.rule, self.value)

    @property
    def attempt_id(self) -> tuple[str, str, int]:
        return (self.run_id, self.step, self.attempt)


@dataclass(frozen=True)
class Arrival:
    """An event read from a topic some waiting step listens to."""

    topic: str
    rule: str
    value: str
    origin: str
    """``topic/partition/offset`` of the event: the same event read twice is one arrival."""
    fields: dict[str, Any]
    headers: dict[str, str]
    type_name: str | None
    stamped_ms: int
    expires_ms: int
    """Kept for waits that come later until then (the longest ``keep`` on its topic)."""

    @property
    def key(self) -> str:
        return pair_key(self.topic, self.rule, self.value)


def to_message(item: Wait | Arrival) -> dict[str, Any]:
    return {"type": "wait" if isinstance(item, Wait) else "arrival", **asdict(item)}


def from_message(data: Any) -> Wait | Arrival:
    """ValueError/TypeError/KeyError for anything that is not one of ours."""
    if not isinstance(data, dict):
        raise ValueError("a waiter message is a JSON object")
    body = {name: value for name, value in data.items() if name != "type"}
    if data.get("type") == "wait":
        return Wait(**body)
    if data.get("type") == "arrival":
        return Arrival(**body)
    raise ValueError(f"unknown waiter message type {data.get('type')!r}")
