"""The coordinator's handler alone: its CPU per event in this process, without Kafka.

The same decode -> decide -> encode path the coordinator runs for each record
(``Handler.handle``, then the changelog values of the changed runs), over the 3-step
linear pipeline's events: a run request and three step results per run. Measured in the
same benchmark run as the coordinator process, it says how much of the coordinator's CPU
per event is its own logic and how much is Kafka I/O on this host at this hour (the
host's speed drifts by half within an hour here, so a figure from another run does not
compare).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime

from podium import contract as wire
from podium.codec import Codec
from podium.coordinator import Handler, RunState, TimerIndex, runs_partition_store
from podium.settings import TopicNames
from podium_bench._pipelines import linear
from podium_bench._plan import STEPS

TRACE = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
"""What a triggered run's request carries (every hop keeps the run's trace)."""

Message = tuple[str, bytes]
"""(topic, value) of one input record."""


def _messages(codec: Codec, topics: TopicNames, pipeline: str, runs: int) -> list[Message]:
    """Each run's request, then its steps' results, in the order the coordinator meets
    them in a 3-step run."""
    now = datetime.now(UTC)
    trigger = wire.Trigger(source=wire.TriggerSource.API)
    found: list[Message] = []
    for index in range(runs):
        run_id = f"handler-{index:06d}"
        start = wire.RunRequested(
            run_id=run_id, pipeline=pipeline, trigger=trigger, requested_at=now
        )
        found.append((topics.runs, codec.encode_event(start)))
        for step in STEPS:
            done = wire.StepCompleted(run_id=run_id, step=step, attempt=1, completed_at=now)
            found.append((topics.step_results, codec.encode_event(done)))
    return found


def _rounds(messages: list[Message], per_round: int) -> Iterator[list[Message]]:
    for start in range(0, len(messages), per_round):
        yield messages[start : start + per_round]


def prepared(runs: int) -> tuple[Handler, list[Message]]:
    """A handler for the linear pipeline, and ``runs`` runs' input records."""
    codec, topics, pipeline = Codec(), TopicNames(), linear("bench")
    handler = Handler(codec, topics, lambda _name, _version: pipeline, TimerIndex())
    return handler, _messages(codec, topics, pipeline.name, runs)


def handle_all(
    handler: Handler, messages: list[Message], per_poll: int
) -> MutableMapping[str, RunState]:
    """Every message through the handler against a fresh run table; the changelog values
    are taken every ``per_poll`` events, as the engine takes them once per poll."""
    store = runs_partition_store()  # as the coordinator's runs table keeps it
    for poll in _rounds(messages, per_poll):
        for topic, value in poll:
            handler.handle(topic, value, TRACE, store)
        store.changes()
    return store


def handler_cpu_us_per_event(runs: int = 1000, per_poll: int = 32) -> float:
    """Microseconds of this process's CPU per event, after one untimed pass to warm up."""
    handler, messages = prepared(runs)
    handle_all(handler, messages, per_poll)
    started = time.process_time()
    handle_all(handler, messages, per_poll)
    return (time.process_time() - started) * 1e6 / len(messages)
