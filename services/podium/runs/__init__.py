"""Runs from the outside: the run client (start, cancel, re-run, pause, resume) and the read
model (query, follow).

    async with open_producer(settings.client_kwargs()) as producer:
        request = await request_run(producer, codec, settings.topics, pipeline, {"n": 1})
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        view = await runs.wait_for(request.run_id, lambda v: v.finished, timeout=60)

The read model folds ``RunStatusChanged`` events (:func:`apply_event`, pure and
idempotent) into :class:`RunView` s; ``_render`` turns views into the API's JSON
and the CLI's tables. Errors are drawn as a tree in :mod:`podium.runs._errors`.
"""

from podium.runs._client import (
    Producer,
    cancel_run,
    check_approval,
    check_cancellable,
    decide,
    open_producer,
    request_run,
    run_id_for,
    send_signal,
)
from podium.runs._control import (
    check_pausable,
    check_resumable,
    check_retryable,
    control_run,
    finished_runs_in,
    finished_runs_on,
)
from podium.runs._errors import (
    NotWaitingStepError,
    ReadModelUnavailableError,
    RunEventsTopicMissingError,
    RunFinishedError,
    RunNotFoundError,
    RunStateError,
)
from podium.runs._idempotency import IdempotencyConflict, idempotency_conflict, same_params
from podium.runs._map_pages import read_map_outputs
from podium.runs._model import ReadModel
from podium.runs._render import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    run_details,
    run_table,
    summary_json,
    transition_line,
    view_json,
)
from podium.runs._trace import new_traceparent
from podium.runs._view import RunView, with_pending_steps

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "IdempotencyConflict",
    "NotWaitingStepError",
    "Producer",
    "ReadModel",
    "ReadModelUnavailableError",
    "RunEventsTopicMissingError",
    "RunFinishedError",
    "RunNotFoundError",
    "RunStateError",
    "RunView",
    "cancel_run",
    "check_approval",
    "check_cancellable",
    "check_pausable",
    "check_resumable",
    "check_retryable",
    "control_run",
    "decide",
    "finished_runs_in",
    "finished_runs_on",
    "idempotency_conflict",
    "new_traceparent",
    "open_producer",
    "read_map_outputs",
    "request_run",
    "run_details",
    "run_id_for",
    "run_table",
    "same_params",
    "send_signal",
    "summary_json",
    "transition_line",
    "view_json",
    "with_pending_steps",
]
