"""The run client: ask the coordinator to start or cancel a run (used by the CLI and the API).

Both produce to the runs topic keyed by run id (so they land on the run's
partition, behind any earlier message for it) with ``acks=all``, and return
only once the cluster has the record. A run started with an idempotency key
gets a run id derived from it, so the same trigger twice is one run: the
coordinator ignores a second ``RunRequested`` for a run id it knows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from podium._send import send_acked
from podium.codec import Codec
from podium.contract import (
    Headers,
    PodiumModel,
    RunCancelRequested,
    RunRequested,
    Signal,
    Trigger,
    TriggerSource,
    encode_headers,
    routing_headers,
)
from podium.errors import BrokerError
from podium.pipelines import Pipeline, StepKind, resolve_params
from podium.runs._errors import NotWaitingStepError, RunFinishedError, RunNotFoundError
from podium.runs._trace import trace_for_request
from podium.runs._view import RunView
from podium.settings import TopicNames

RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:podium:run-id")
"""Fixed forever: changing it would give old idempotency keys new run ids."""

Clock = Callable[[], datetime]


class Producer(Protocol):
    """What the client needs of a producer (``AIOKafkaProducer`` fits)."""

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> Any: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_id_for(pipeline: str, idempotency_key: str | None) -> str:
    """The run id: derived from ``(pipeline, idempotency_key)`` when a key is given, else new."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{pipeline}\n{idempotency_key}"))


def run_requested(
    pipeline: Pipeline,
    params: Mapping[str, Any],
    *,
    run_id: str,
    source: TriggerSource,
    idempotency_key: str | None,
    now: datetime,
    same_as: str | None = None,
    priority: int = 0,
) -> RunRequested:
    """The request for a run of ``pipeline`` pinned to its version; params checked first
    (``priority`` is the caller's to check against ``PRIORITY_RANGE``)."""
    resolved = resolve_params(pipeline, params)
    return RunRequested(
        run_id=run_id,
        pipeline=pipeline.name,
        pipeline_version=str(pipeline.version),
        params_json=json.dumps(resolved, sort_keys=True),
        trigger=_trigger(source, idempotency_key, same_as),
        idempotency_key=idempotency_key,
        requested_at=now,
        priority=priority,
    )


SAME_AS = "same-as"
"""The trigger name of a run started as a copy of another (``podium run --same-as``); its
reference is the other run's id, so the views link the two."""


def _trigger(source: TriggerSource, idempotency_key: str | None, same_as: str | None) -> Trigger:
    if same_as is not None:
        return Trigger(source=source, name=SAME_AS, reference=same_as)
    return Trigger(source=source, name=source.value.lower(), reference=idempotency_key)


async def request_run(
    producer: Producer,
    codec: Codec,
    topics: TopicNames,
    pipeline: Pipeline,
    params: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    source: TriggerSource = TriggerSource.API,
    trace: Mapping[str, str] | None = None,
    run_id: str | None = None,
    clock: Clock = utc_now,
    same_as: str | None = None,
    priority: int = 0,
) -> RunRequested:
    """Produce a ``RunRequested`` and wait for the ack; ParamError before anything is sent.

    ``trace`` is the caller's trace headers (its ``traceparent`` is kept when valid,
    else a new trace starts); ``run_id`` overrides the derived id (the CLI picks it
    first to follow the run). Returns the request sent, whose ``run_id`` names the run.
    """
    event = run_requested(
        pipeline,
        params,
        run_id=run_id or run_id_for(pipeline.name, idempotency_key),
        source=source,
        idempotency_key=idempotency_key,
        now=clock(),
        same_as=same_as,
        priority=priority,
    )
    await send_event(producer, codec, topics.runs, event, event.run_id, trace)
    return event


def check_cancellable(view: RunView | None, run_id: str) -> RunView:
    """The run to cancel; RunNotFoundError when unknown, RunFinishedError when it ended."""
    if view is None:
        raise RunNotFoundError(run_id)
    if view.finished:
        raise RunFinishedError(run_id, view.status.value)
    return view


async def cancel_run(
    producer: Producer,
    codec: Codec,
    topics: TopicNames,
    run_id: str,
    *,
    reason: str | None = None,
    requested_by: str | None = None,
    trace: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
) -> RunCancelRequested:
    """Produce a ``RunCancelRequested`` for ``run_id`` and wait for the ack."""
    event = RunCancelRequested(
        run_id=run_id, reason=reason, requested_by=requested_by, requested_at=clock()
    )
    await send_event(producer, codec, topics.runs, event, run_id, trace)
    return event


def check_approval(view: RunView | None, run_id: str, pipeline: Pipeline | None, step: str) -> None:
    """That ``step`` of the run is an approval it can still take; RunNotFoundError,
    RunFinishedError or NotWaitingStepError saying why not."""
    check_cancellable(view, run_id)
    declared = {s.name: s for s in pipeline.steps} if pipeline is not None else {}
    found = declared.get(step)
    if pipeline is not None and found is None:
        raise NotWaitingStepError(run_id, step, f"is not a step of {pipeline.key}")
    if found is not None and found.kind is not StepKind.APPROVAL:
        raise NotWaitingStepError(run_id, step, f"is a {found.kind} step, not an approval")


async def send_signal(
    producer: Producer,
    codec: Codec,
    topics: TopicNames,
    run_id: str,
    name: str,
    payload: Mapping[str, Any],
    *,
    sent_by: str,
    trace: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
) -> Signal:
    """Produce a ``Signal`` for ``run_id`` to the signals topic and wait for the ack: a
    ``kind: signal`` step named ``name`` takes ``payload`` as its output."""
    event = Signal(
        run_id=run_id,
        name=name,
        payload_json=json.dumps(dict(payload), sort_keys=True, ensure_ascii=False),
        sent_by=sent_by,
        sent_at=clock(),
    )
    await send_event(producer, codec, topics.signals, event, run_id, trace)
    return event


async def decide(
    producer: Producer,
    codec: Codec,
    topics: TopicNames,
    run_id: str,
    step: str,
    *,
    approve: bool,
    comment: str = "",
    by: str,
    trace: Mapping[str, str] | None = None,
) -> Signal:
    """Approve or reject the approval step ``step`` of ``run_id`` (a ``Signal`` named
    ``approval:<step>``; who and why become the step's output, or its error)."""
    payload = {"decision": "approve" if approve else "reject", "comment": comment}
    name = f"approval:{step}"
    return await send_signal(
        producer, codec, topics, run_id, name, payload, sent_by=by, trace=trace
    )


async def send_event(
    producer: Producer,
    codec: Codec,
    topic: str,
    event: PodiumModel,
    run_id: str,
    trace: Mapping[str, str] | None,
) -> None:
    headers = encode_headers(trace_for_request(trace)) + routing_headers(run_id)
    what = f"{type(event).__name__} for run {run_id}"
    await send_acked(
        producer, topic, codec.encode_event(event), run_id.encode(), what=what, headers=headers
    )


@asynccontextmanager
async def open_producer(client_kwargs: Mapping[str, Any]) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer that waits for every in-sync replica (``acks=all``, idempotent)."""
    producer = AIOKafkaProducer(**client_kwargs, acks="all", enable_idempotence=True)
    try:
        await producer.start()
    except KafkaError as exc:
        await producer.stop()
        address = client_kwargs.get("bootstrap_servers")
        raise BrokerError(f"cannot reach Kafka at {address}: {exc}", retryable=True) from exc
    try:
        yield producer
    finally:
        await producer.stop()
