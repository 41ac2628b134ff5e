"""Joining broker append times into transitions and run latencies (pure).

Every benchmark topic is created with ``message.timestamp.type=LogAppendTime``,
so a record's timestamp is when the broker appended it: latencies measured here
exclude the clocks and buffers of the clients that sent them.

A run of steps ``order = [a, b, c]`` leaves these appends:
``run-requested`` (runs topic), ``step-requested`` / ``step-completed`` per step
(its request topic / the results topic) and ``run-succeeded`` (run events).
A *transition* is the coordinator's hop: ``step-completed`` of step i to
``step-requested`` of step i+1 of the same run. The Kafka floor's relay chain
maps its hops onto the same kinds (:func:`floor_stage`), so both are joined by
the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise


class Kind(StrEnum):
    RUN_REQUESTED = "run-requested"
    STEP_REQUESTED = "step-requested"
    STEP_COMPLETED = "step-completed"
    RUN_SUCCEEDED = "run-succeeded"


@dataclass(frozen=True, slots=True)
class Append:
    """One record on a benchmark topic, as the broker stamped it."""

    kind: Kind
    run_id: str
    stage: str
    """The step name for step records; empty for run records."""
    append_ms: int
    value_bytes: int = 0
    header_bytes: int = 0
    """Sizes of the record's value and headers (the floor sends messages of these sizes)."""


Key = tuple[str, str]


def first_appends(records: Iterable[Append], kind: Kind) -> dict[Key, int]:
    """(run id, stage) -> earliest append time of ``kind``; a redelivered duplicate is later
    and does not count."""
    first: dict[Key, int] = {}
    for record in records:
        if record.kind is kind:
            key = (record.run_id, record.stage)
            first[key] = min(record.append_ms, first.get(key, record.append_ms))
    return first


def gaps(
    before: Mapping[Key, int], after: Mapping[Key, int], pairs: Sequence[tuple[str, str]]
) -> list[int]:
    """``after[run, b] - before[run, a]`` for each run and each (a, b) in ``pairs`` where both
    were appended; runs missing either side are left out (the caller counts them)."""
    runs = {run for run, _ in before}
    return [
        after[(run, b)] - before[(run, a)]
        for run in sorted(runs)
        for a, b in pairs
        if (run, a) in before and (run, b) in after
    ]


def transitions(records: Sequence[Append], order: Sequence[str]) -> list[int]:
    """Milliseconds from each step's completion to the next step's request, per run."""
    completed = first_appends(records, Kind.STEP_COMPLETED)
    requested = first_appends(records, Kind.STEP_REQUESTED)
    return gaps(completed, requested, list(pairwise(order)))


def run_latencies(records: Sequence[Append]) -> list[int]:
    """Milliseconds from each run's request to its success (both appended)."""
    started = first_appends(records, Kind.RUN_REQUESTED)
    finished = first_appends(records, Kind.RUN_SUCCEEDED)
    return gaps(started, finished, [("", "")])


def median_sizes(records: Iterable[Append]) -> dict[Kind, tuple[int, int]]:
    """The median (value bytes, header bytes) per kind (the floor sends messages this big)."""
    sizes: dict[Kind, tuple[list[int], list[int]]] = {}
    for record in records:
        values, headers = sizes.setdefault(record.kind, ([], []))
        values.append(record.value_bytes)
        headers.append(record.header_bytes)
    return {kind: (_middle(v), _middle(h)) for kind, (v, h) in sizes.items()}


def _middle(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


def floor_stage(index: int, order: Sequence[str]) -> tuple[Kind, str]:
    """What hop topic ``index`` of the floor's chain stands for, for steps ``order``.

    Topics 0 .. 2n+1 for n steps: 0 the run request, 2k+1 step k's request, 2k+2 its
    completion, 2n+1 the run's success (what the coordinator emits after the last result).
    """
    last = 2 * len(order) + 1
    if not 0 <= index <= last:
        raise ValueError(f"hop topic {index} is outside 0..{last} for {len(order)} steps")
    if index == 0:
        return Kind.RUN_REQUESTED, ""
    if index == last:
        return Kind.RUN_SUCCEEDED, ""
    step = order[(index - 1) // 2]
    return (Kind.STEP_REQUESTED if index % 2 else Kind.STEP_COMPLETED), step


def floor_hops(order: Sequence[str]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The floor's relays (source topic, next topic), split as Podium splits the work:
    the coordinator's hops (0->1, 2->3, ..., 2n->2n+1) and the services' (1->2, 3->4, ...)."""
    n = len(order)
    coordinator = [(2 * k, 2 * k + 1) for k in range(n + 1)]
    services = [(2 * k + 1, 2 * k + 2) for k in range(n)]
    return coordinator, services


def segments(records: Sequence[Append], order: Sequence[str]) -> dict[str, list[int]]:
    """Where each run's time went, hop by hop (ms), named ``from -> to``: the trigger to the
    first request, each step's service time, each transition, the last result to success.
    At full load the longest segment is the bottleneck."""
    started = first_appends(records, Kind.RUN_REQUESTED)
    requested = first_appends(records, Kind.STEP_REQUESTED)
    completed = first_appends(records, Kind.STEP_COMPLETED)
    finished = first_appends(records, Kind.RUN_SUCCEEDED)
    found = {f"run requested -> {order[0]} requested": gaps(started, requested, [("", order[0])])}
    for index, step in enumerate(order):
        found[f"{step} requested -> {step} completed"] = gaps(requested, completed, [(step, step)])
        if index + 1 < len(order):
            after = order[index + 1]
            name = f"{step} completed -> {after} requested"
            found[name] = gaps(completed, requested, [(step, after)])
    found[f"{order[-1]} completed -> run succeeded"] = gaps(completed, finished, [(order[-1], "")])
    return found


def chain_hops(records: Sequence[Append], order: Sequence[str]) -> dict[str, list[int]]:
    """A sequential chain's time split by who held it (ms): ``service`` from each step's
    request to its result (its sleep included), ``coordinator`` from each result to the next
    step's request."""
    requested = first_appends(records, Kind.STEP_REQUESTED)
    completed = first_appends(records, Kind.STEP_COMPLETED)
    return {
        "service": gaps(requested, completed, [(step, step) for step in order]),
        "coordinator": gaps(completed, requested, list(pairwise(order))),
    }
