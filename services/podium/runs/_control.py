"""Re-run, pause and resume a run: checks against the read model, then one
``RunControlRequested`` on the runs topic, keyed by run id (behind any earlier message for
the run), acked by the cluster before returning. The coordinator applies it (see
``podium.coordinator.core._rerun`` and ``_pause``); these checks only give the caller a
clear refusal up front, the coordinator ignores what does not fit anyway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from podium.codec import Codec
from podium.contract import RunControlAction, RunControlRequested, RunStatus
from podium.pipelines import Pipeline
from podium.runs._client import Clock, Producer, check_cancellable, send_event, utc_now
from podium.runs._errors import NotWaitingStepError, RunNotFoundError, RunStateError
from podium.runs._model import ReadModel
from podium.runs._view import RunView
from podium.settings import TopicNames

RETRYABLE = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPENSATED})


def check_retryable(
    view: RunView | None, run_id: str, from_step: str | None, pipeline: Pipeline | None
) -> RunView:
    """The run to re-run; RunNotFoundError, RunStateError (not finished, or succeeded with
    nothing named to re-run), NotWaitingStepError for a ``from_step`` it does not have."""
    if view is None:
        raise RunNotFoundError(run_id)
    status = view.status.value.lower()
    if not view.finished:
        raise RunStateError(
            run_id, status, "only a finished run can be retried (cancel it first, or pause it)"
        )
    if from_step is None and view.status not in RETRYABLE:
        raise RunStateError(
            run_id, status, "nothing failed; name a step to re-run from with --from STEP"
        )
    names = [s.name for s in pipeline.steps] if pipeline is not None else list(view.steps)
    if from_step is not None and from_step not in names:
        raise NotWaitingStepError(run_id, from_step, f"is not a step of the run: {names}")
    return view


def check_pausable(view: RunView | None, run_id: str) -> RunView:
    view = check_cancellable(view, run_id)
    if view.status is RunStatus.PAUSED:
        raise RunStateError(run_id, "paused", "already paused; resume it with resume")
    if view.status is not RunStatus.RUNNING:
        raise RunStateError(run_id, view.status.value.lower(), "only a running run can be paused")
    return view


def check_resumable(view: RunView | None, run_id: str) -> RunView:
    view = check_cancellable(view, run_id)
    if view.status is not RunStatus.PAUSED:
        raise RunStateError(run_id, view.status.value.lower(), "it is not paused")
    return view


async def control_run(
    producer: Producer,
    codec: Codec,
    topics: TopicNames,
    run_id: str,
    action: RunControlAction,
    *,
    from_step: str | None = None,
    pipeline_version: str | None = None,
    reason: str | None = None,
    requested_by: str | None = None,
    trace: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
) -> RunControlRequested:
    """Produce a ``RunControlRequested`` for ``run_id`` and wait for the ack."""
    event = RunControlRequested(
        run_id=run_id,
        action=action,
        from_step=from_step,
        pipeline_version=pipeline_version,
        reason=reason,
        requested_by=requested_by,
        requested_at=clock(),
    )
    await send_event(producer, codec, topics.runs, event, run_id, trace)
    return event


FinishedRuns = Callable[[set[str]], Awaitable[dict[str, str]]]


def finished_runs_in(lookup: Callable[[str], RunView | None]) -> FinishedRuns:
    """For a DLQ replay (``KafkaDeadLetters``): the status of each given run that has
    finished, as ``lookup`` (a read model's ``get``) knows it."""

    async def finished(run_ids: set[str]) -> dict[str, str]:
        views = {run_id: lookup(run_id) for run_id in run_ids}
        return {run_id: v.status.value for run_id, v in views.items() if v and v.finished}

    return finished


def finished_runs_on(client_kwargs: Mapping[str, Any], run_events_topic: str) -> FinishedRuns:
    """``finished_runs_in`` over a read model of its own, read to the end per question
    (what a one-shot command such as ``podium dlq replay`` has)."""

    async def finished(run_ids: set[str]) -> dict[str, str]:
        async with ReadModel(client_kwargs, run_events_topic) as runs:
            return await finished_runs_in(runs.get)(run_ids)

    return finished
