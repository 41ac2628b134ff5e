"""Deciding what a replay republishes, and what it refuses (pure).

A replay sends a dead message back to its original topic with its original
key, value and headers, minus the ``podium-dlq-*`` headers, plus
``podium-replay-count`` (the original's plus one) and ``podium-replay-of``
(the dead letter it came from). If it fails again it comes back to the DLQ
carrying both, which is how a later replay knows:

- refused: it was already replayed ``max_replays`` times (a message that keeps
  failing needs a fix, not another lap), or it was cut to fit the DLQ
  (``podium-dlq-truncated``: what is left is not the record, so it is never sent back),
  or it is a step's message (a request, a result) of a run that has finished: the
  coordinator would ignore what it brings, so the run needs ``podium runs retry``;
- skipped: a later dead letter is its own replay (replay that one instead), or
  it is a second dead letter of the same original record (a consumer
  dead-lettered it twice, e.g. after a crash before committing), or its
  headers do not say where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from podium.contract import Headers, encode_headers, map_item_of
from podium.dlq._entry import REPLAY_COUNT, REPLAY_OF, DlqEntry, Origin
from podium.dlq._letter import PREFIX

DEFAULT_MAX_REPLAYS = 3


@dataclass(frozen=True, slots=True)
class Replay:
    """A dead message to republish, as it will be sent."""

    entry: DlqEntry
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True, slots=True)
class Skip:
    """A dead message left where it is, and why."""

    entry: DlqEntry
    kind: Literal["refused", "skipped"]
    why: str


def replay_headers(headers: Iterable[tuple[str, bytes]], count: int, of: str) -> Headers:
    """The original headers without Podium's DLQ and replay headers, then the new replay ones."""
    ours = (REPLAY_COUNT, REPLAY_OF)
    kept = [(k, bytes(v)) for k, v in headers if not k.startswith(PREFIX) and k not in ours]
    return kept + encode_headers({REPLAY_COUNT: str(count + 1), REPLAY_OF: of})


def superseded_by(entries: Iterable[DlqEntry]) -> dict[str, str]:
    """Dead letter coordinate -> coordinate of the later dead letter that is its replay."""
    return {e.replay_of: e.coordinate for e in entries if e.replay_of}


def plan_replays(
    candidates: Sequence[tuple[DlqEntry, Any]],
    superseded: Mapping[str, str],
    max_replays: int = DEFAULT_MAX_REPLAYS,
    finished_runs: Mapping[str, str] | None = None,
) -> list[Replay | Skip]:
    """For each (entry, its DLQ record), in DLQ order: replay it, or say why not.
    ``finished_runs``: the status of each finished run among the entries' runs."""
    taken: dict[Origin, str] = {}
    plan: list[Replay | Skip] = []
    for entry, record in candidates:
        skip = _skip(entry, superseded, taken, max_replays) or _of_finished_run(
            entry, finished_runs or {}
        )
        if skip is not None:
            plan.append(skip)
            continue
        assert entry.origin is not None  # _skip refuses entries without one
        taken[entry.origin] = entry.coordinate
        headers = replay_headers(record.headers or (), entry.replay_count, entry.coordinate)
        plan.append(Replay(entry, entry.origin.topic, record.key, record.value, headers))
    return plan


def _of_finished_run(entry: DlqEntry, finished_runs: Mapping[str, str]) -> Skip | None:
    status = finished_runs.get(entry.run_id or "")
    if entry.step is None or status is None:
        return None
    item = map_item_of(entry.step)  # a map item re-runs with its map step
    step = entry.step if item is None else item[0]
    return Skip(
        entry,
        "refused",
        f"run {entry.run_id} has finished ({status}): its step {entry.step} would run but "
        f"the run would not go on; use `podium runs retry {entry.run_id} --from {step}`",
    )


def _skip(
    entry: DlqEntry, superseded: Mapping[str, str], taken: Mapping[Origin, str], max_replays: int
) -> Skip | None:
    if entry.origin is None:
        return Skip(entry, "skipped", "its headers do not say which topic it came from")
    if entry.coordinate in superseded:
        later = superseded[entry.coordinate]
        return Skip(entry, "skipped", f"replayed before and dead-lettered again as {later}")
    if entry.origin in taken:
        return Skip(entry, "skipped", f"same original record as {taken[entry.origin]}")
    if entry.truncated:
        return Skip(entry, "refused", f"cut to fit the DLQ ({entry.truncated}): not the record")
    if entry.replay_count >= max_replays:
        return Skip(
            entry,
            "refused",
            f"replayed {entry.replay_count} times already (--max-replays {max_replays})",
        )
    return None
