"""From consumed records to what the benchmark joins: ``Append`` s and finished runs.

Podium's records are decoded with the codec; the floor's carry the run id as key and
stand for what their hop's topic stands for (``floor_stage``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podium import contract as wire
from podium.codec import Codec
from podium.contract import STEP, header_value
from podium.errors import PodiumError
from podium_bench._driver import Completions
from podium_bench._join import Append, Kind, floor_stage
from podium_bench._kafka import LOG_APPEND_TYPE, Record

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATED"}


class NotBrokerTime(PodiumError):
    """A benchmark record carries its producer's clock, not the broker's append time."""


def sizes(record: Record) -> tuple[int, int]:
    """(value bytes, header bytes) of ``record``."""
    headers = sum(len(key) + len(value or b"") for key, value in record.headers or ())
    return len(record.value or b""), headers


def _stamped(record: Record) -> int:
    if record.timestamp_type != LOG_APPEND_TYPE:
        raise NotBrokerTime(
            f"{record.topic} has producer timestamps: benchmark topics need "
            "message.timestamp.type=LogAppendTime"
        )
    return int(record.timestamp)


def _append(kind: Kind, run_id: str, stage: str, record: Record) -> Append:
    value_bytes, header_bytes = sizes(record)
    return Append(kind, run_id, stage, _stamped(record), value_bytes, header_bytes)


def podium_append(record: Record, codec: Codec, kinds: Mapping[str, Kind]) -> Append | None:
    """The append a Podium record stands for (``kinds``: topic -> kind), or None."""
    kind = kinds.get(record.topic)
    if kind is None:
        return None
    event: Any = codec.decode_event(record.value)
    if kind is Kind.RUN_REQUESTED and isinstance(event, wire.RunRequested):
        return _append(kind, event.run_id, "", record)
    if kind is Kind.STEP_REQUESTED and isinstance(event, wire.StepRequested):
        return _append(kind, event.run_id, event.step, record)
    if kind is Kind.STEP_COMPLETED and isinstance(event, wire.StepCompleted):
        return _append(kind, event.run_id, event.step, record)
    if kind is Kind.RUN_SUCCEEDED and _run_succeeded(event):
        return _append(kind, event.run_id, "", record)
    return None


def _run_succeeded(event: object) -> bool:
    """A run-level (no step) RunStatusChanged to SUCCEEDED."""
    return (
        isinstance(event, wire.RunStatusChanged)
        and event.step is None
        and event.status is wire.RunStatus.SUCCEEDED
    )


def floor_append(record: Record, topics: Sequence[str], order: Sequence[str]) -> Append:
    kind, stage = floor_stage(topics.index(record.topic), order)
    return _append(kind, (record.key or b"").decode(), stage, record)


def floor_chain_append(record: Record, start: str) -> Append:
    """A floor chain run's first append (on ``start``) or its last (on the done topic)."""
    kind = Kind.RUN_REQUESTED if record.topic == start else Kind.RUN_SUCCEEDED
    return _append(kind, (record.key or b"").decode(), "", record)


def run_finished(completions: Completions, codec: Codec) -> Callable[[Record], None]:
    """Follower callback on the run events topic: ends the runs that reached a final status.
    Step-level events (a ``podium-step`` header) are skipped without decoding."""

    def on_record(record: Record) -> None:
        if header_value(record.headers, STEP) is not None:
            return
        event = codec.decode_event(record.value, wire.RunStatusChanged)
        if event.step is None and event.status.value in TERMINAL:
            completions.finish(event.run_id, event.status.value)

    return on_record


def hop_arrived(completions: Completions) -> Callable[[Record], None]:
    """Follower callback on the floor's last topic: a run is done when its message arrives."""

    def on_record(record: Record) -> None:
        completions.finish((record.key or b"").decode(), "SUCCEEDED")

    return on_record
