"""Pause and resume a pipeline: checks against the registry, then one
``PipelineControlRequested`` on the admissions topic, keyed by the pipeline name (so the
coordinator owning the pipeline's admission queue applies it in order with its runs' starts),
acked by the cluster before returning. The coordinator writes what it applied back to the
registry (``_pause``); these checks only give the caller a clear refusal up front, the
coordinator ignores a pause of a paused pipeline (or a resume of a running one) anyway."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from podium._send import send_acked
from podium.codec import Codec
from podium.contract import PipelineControlRequested, RunControlAction
from podium.registry._errors import PipelineStateError
from podium.registry._pause import PipelinePause


class _Registry(Protocol):
    def get(self, name: str, version: int | None = None) -> Any: ...

    def pause(self, name: str) -> PipelinePause | None: ...


def check_pipeline_control(registry: _Registry, name: str, action: RunControlAction) -> None:
    """UnknownPipelineError for a pipeline never published; PipelineStateError for a pause
    of a paused pipeline or a resume of one that is not paused."""
    registry.get(name)
    pause = registry.pause(name)
    paused = pause is not None and pause.paused
    if action is RunControlAction.PAUSE and paused:
        raise PipelineStateError(name, "is already paused: resume it with resume")
    if action is RunControlAction.RESUME and not paused:
        raise PipelineStateError(name, "is not paused")
    if action not in (RunControlAction.PAUSE, RunControlAction.RESUME):
        raise ValueError(f"a pipeline is paused or resumed, not {action.value}")


async def control_pipeline(
    producer: Any,
    codec: Codec,
    admissions_topic: str,
    name: str,
    action: RunControlAction,
    *,
    reason: str | None = None,
    requested_by: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PipelineControlRequested:
    """Produce a ``PipelineControlRequested`` for pipeline ``name`` and wait for the ack."""
    event = PipelineControlRequested(
        pipeline=name,
        action=action,
        reason=reason,
        requested_by=requested_by,
        requested_at=clock(),
    )
    what = f"{action.value.lower()} of pipeline {name}"
    await send_acked(
        producer, admissions_topic, codec.encode_event(event), name.encode(), what=what
    )
    return event
