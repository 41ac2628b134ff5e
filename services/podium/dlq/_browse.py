"""The dead letters of a cluster as a service: what ``podium api`` serves under ``/v1/dlq``.

One object over the reading and replaying functions, so that the API is given one thing
(and its tests a fake of it), and so that ``podium dlq replay`` and the API replay by the
same steps: read the topic whole (a later letter may be an earlier one's replay), plan
(:func:`plan_replays`: superseded letters skipped, ``max_replays`` enforced), then send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from podium.dlq._entry import DlqEntry
from podium.dlq._kafka import dlq_topics, read_dlq, read_dlq_tail, read_dlqs, send_replays
from podium.dlq._replay import DEFAULT_MAX_REPLAYS, Replay, Skip, plan_replays, superseded_by
from podium.dlq._tail import DlqTail

FinishedRuns = Callable[[set[str]], Awaitable[Mapping[str, str]]]
"""Run ids -> the status of each that has finished (the run read model answers it; given
by the caller, since the read model itself reads dead letters' counts)."""


class KafkaDeadLetters:
    """Every ``*.dlq`` topic of the cluster ``client_kwargs`` reach."""

    def __init__(
        self, client_kwargs: Mapping[str, Any], finished_runs: FinishedRuns | None = None
    ) -> None:
        """``finished_runs``: which of some run ids have finished, so that a replay refuses
        a step's message of a finished run (see ``plan_replays``); None: not asked."""
        self._client_kwargs = dict(client_kwargs)
        self._finished_runs = finished_runs

    async def letters_by_topic(self) -> dict[str, list[DlqEntry]]:
        """Every DLQ topic (empty ones too) with all its letters, read whole."""
        topics = await dlq_topics(self._client_kwargs)
        found: dict[str, list[DlqEntry]] = {topic: [] for topic in topics}
        for entry in await read_dlqs(self._client_kwargs, topics) if topics else []:
            found[entry.topic].append(entry)
        return found

    async def tail(self, topic: str, limit: int) -> DlqTail:
        """The ``limit`` newest letters of ``topic`` (DlqTopicMissingError: no such topic)."""
        return await read_dlq_tail(self._client_kwargs, topic, limit)

    async def replay(
        self,
        topic: str,
        keep: Callable[[DlqEntry], bool],
        *,
        dry_run: bool,
        max_replays: int = DEFAULT_MAX_REPLAYS,
        prepare: Callable[[Replay], Replay] | None = None,
    ) -> list[Replay | Skip]:
        """Plan the replay of the letters ``keep`` selects and, unless ``dry_run``, send
        what the plan replays (each through ``prepare`` first, e.g. to link a span)."""
        entries, kept = await read_dlq(self._client_kwargs, topic, keep=keep)
        run_ids = {e.run_id for e, _ in kept if e.step and e.run_id}
        finished: Mapping[str, str] = {}
        if self._finished_runs is not None and run_ids:
            finished = await self._finished_runs(run_ids)
        plan = plan_replays(kept, superseded_by(entries), max_replays, finished)
        if not dry_run:
            replays = [step for step in plan if isinstance(step, Replay)]
            await send_replays(
                self._client_kwargs, list(map(prepare, replays)) if prepare else replays
            )
        return plan
