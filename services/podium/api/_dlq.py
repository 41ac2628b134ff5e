"""Dead letters over HTTP: the DLQ topics, the latest letters of one, and replays.

    GET  /v1/dlq                    {"topics": [{"topic", "depth", "by_reason"}]}
    GET  /v1/dlq/{topic}?limit=50   {"topic", "depth", "depth_exact", "letters": [...]}
    POST /v1/dlq/{topic}/replay     {"offsets"?: [{"partition", "offset"}], "dry_run"?: true}
                                    -> {"dry_run", "plan": [...], "replayed"}

The handlers are registered by :func:`add_dlq_routes` over an injected
:class:`DeadLetters` (``podium.dlq.KafkaDeadLetters`` fits); without one every route is
a 404. A letter is shown as ``podium dlq list --json`` shows it (``entry_json``: the
error redacted when written, the value only as a short, masked preview). A replay
follows ``podium dlq replay``'s rules; ``dry_run`` defaults to true, so a page can show
the plan before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

from podium.api._errors import ApiError
from podium.api._input import json_object, parse_limit
from podium.dlq import (
    DLQ_SUFFIX,
    DlqEntry,
    DlqTopicMissingError,
    Replay,
    Skip,
    count_by_reason,
    entry_json,
    matches,
)
from podium.errors import BrokerError

REPLAY_FIELDS = ("offsets", "dry_run")


class Tail(Protocol):
    """The latest letters of a DLQ topic (``podium.dlq``'s ``DlqTail`` fits)."""

    @property
    def topic(self) -> str: ...

    @property
    def letters(self) -> Sequence[DlqEntry]: ...

    @property
    def depth(self) -> int: ...

    @property
    def depth_exact(self) -> bool: ...


class DeadLetters(Protocol):
    """The cluster's DLQs (``KafkaDeadLetters`` fits)."""

    async def letters_by_topic(self) -> dict[str, list[DlqEntry]]: ...

    async def tail(self, topic: str, limit: int) -> Tail: ...

    async def replay(
        self, topic: str, keep: Callable[[DlqEntry], bool], *, dry_run: bool
    ) -> list[Replay | Skip]: ...


@dataclass(frozen=True)
class ReplayBody:
    """The body of a replay: which letters (None: all) and whether to only plan."""

    offsets: tuple[tuple[int, int], ...] | None = None
    dry_run: bool = True


DEAD_LETTERS = web.AppKey("dead_letters", DeadLetters)


def add_dlq_routes(app: web.Application, dead_letters: DeadLetters | None) -> None:
    """Serve ``/v1/dlq`` from ``dead_letters``; None: 404 "this API reads no dead letters"."""
    if dead_letters is not None:
        app[DEAD_LETTERS] = dead_letters
    app.router.add_get("/v1/dlq", list_dlqs)
    app.router.add_get("/v1/dlq/{topic}", get_dlq)
    app.router.add_post("/v1/dlq/{topic}/replay", post_replay)


async def list_dlqs(request: web.Request) -> web.Response:
    found = await _call(lambda dlqs: dlqs.letters_by_topic(), request)
    return web.json_response({"topics": topics_json(found)})


async def get_dlq(request: web.Request) -> web.Response:
    topic = dlq_topic_of(request.match_info["topic"])
    limit = parse_limit(request.query.get("limit") or None)
    tail = await _call(lambda dlqs: dlqs.tail(topic, limit), request)
    return web.json_response(tail_json(tail, datetime.now(UTC)))


async def post_replay(request: web.Request) -> web.Response:
    topic = dlq_topic_of(request.match_info["topic"])
    body = parse_replay_body(await request.read())
    wanted = None if body.offsets is None else [f"{p}:{o}" for p, o in body.offsets]

    def keep(entry: DlqEntry) -> bool:
        return wanted is None or matches(entry, offsets=wanted)

    plan = await _call(lambda dlqs: dlqs.replay(topic, keep, dry_run=body.dry_run), request)
    return web.json_response(plan_json(plan, body.dry_run))


async def _call(use: Callable[[DeadLetters], Any], request: web.Request) -> Any:
    """``use(dead_letters)`` awaited, its failures as HTTP errors."""
    dead_letters = request.app.get(DEAD_LETTERS)
    if dead_letters is None:
        raise ApiError(404, "this API reads no dead letters")
    try:
        return await use(dead_letters)
    except DlqTopicMissingError as exc:
        raise ApiError(404, str(exc), "topic") from exc
    except BrokerError as exc:
        raise ApiError(503, str(exc)) from exc


def dlq_topic_of(name: str) -> str:
    """``name`` when it names a DLQ topic; 400 otherwise (nothing else is read here)."""
    if not name.endswith(DLQ_SUFFIX) or name == DLQ_SUFFIX:
        raise ApiError(400, f"not a DLQ topic (its name ends in {DLQ_SUFFIX}): {name!r}", "topic")
    return name


def parse_replay_body(raw: bytes) -> ReplayBody:
    """``{"offsets"?: [{"partition": p, "offset": o}...], "dry_run"?: bool}``."""
    data = json_object(raw, REPLAY_FIELDS)
    dry_run = data.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise ApiError(400, "expected true or false", "dry_run")
    offsets = data.get("offsets")
    if offsets is None:
        return ReplayBody(None, dry_run)
    if not isinstance(offsets, list):
        raise ApiError(400, "expected an array of {partition, offset}", "offsets")
    return ReplayBody(tuple(_coordinate(item, i) for i, item in enumerate(offsets)), dry_run)


def _coordinate(item: Any, index: int) -> tuple[int, int]:
    where = f"offsets[{index}]"
    if not isinstance(item, dict) or set(item) != {"partition", "offset"}:
        raise ApiError(400, 'expected {"partition": int, "offset": int}', where)
    for name in ("partition", "offset"):
        value = item[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ApiError(400, "expected an integer >= 0", f"{where}.{name}")
    return item["partition"], item["offset"]


def topics_json(letters_by_topic: Mapping[str, Iterable[DlqEntry]]) -> list[dict[str, Any]]:
    """Each DLQ topic, sorted: its depth and its letters counted by reason."""
    shown = []
    for topic in sorted(letters_by_topic):
        counts = count_by_reason(letters_by_topic[topic])
        by_reason = {c.reason: c.count for c in counts}
        shown.append({"topic": topic, "depth": sum(by_reason.values()), "by_reason": by_reason})
    return shown


def tail_json(tail: Tail, now: datetime) -> dict[str, Any]:
    letters = [entry_json(e, now) for e in tail.letters]
    return {"topic": tail.topic, "depth": tail.depth, "depth_exact": tail.depth_exact} | {
        "letters": letters
    }


def plan_json(plan: Sequence[Replay | Skip], dry_run: bool) -> dict[str, Any]:
    """The plan a step a letter; ``replayed``: how many were sent (0 on a dry run)."""
    steps = [_step_json(step) for step in plan]
    sent = 0 if dry_run else sum(isinstance(step, Replay) for step in plan)
    return {"dry_run": dry_run, "plan": steps, "replayed": sent}


def _step_json(step: Replay | Skip) -> dict[str, Any]:
    entry = step.entry
    where = {"partition": entry.partition, "offset": entry.offset}
    if isinstance(step, Replay):
        return where | {"action": "replay", "why": None, "target_topic": step.topic}
    origin = entry.origin.topic if entry.origin else None
    return where | {"action": "skip", "why": f"{step.kind}: {step.why}", "target_topic": origin}
