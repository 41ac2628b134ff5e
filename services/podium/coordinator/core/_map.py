"""Map steps: a step with ``for_each`` runs one attempt per item of a list (docs/map.md).

Starting the step (``start_map``) reads the list its ``for_each`` names in the run (a
dependency's output or a param): not a list fails the step (``MapItemsError``, not
retried), an empty one succeeds at once. Items are requested in index order, at most
``max_parallel`` in flight, each as a request of its own named ``<step>[<index>]`` whose
input is the step's input with ``item`` and ``index`` added; an item's attempts are its
own and follow the step's retry policy and timeout. The step's state stays compact
whatever the item count (``MapProgress``): counts, the items in flight, the first failed
indices, and a buffer of outputs written out as pages (``WriteMapPage``) once it holds
``PAGE_BYTES``. Nothing new is requested while the run is paused. The step ends when every
item has: succeeded, with the outputs in item order (inline when small, else a reference to
its pages); or, under ``on_item_failure: fail``, failed at the first item that fails for
good (``MapItemFailed``; the items in flight are told to stop).
"""

from __future__ import annotations

from podium._speedups.json_text import json_text
from podium.contract import RunStatus, StepError, StepStatus, map_item_name, step_envelope
from podium.coordinator.core._backoff import compute_backoff, heartbeat_deadline_ms, retry_delay_ms
from podium.coordinator.core._commands import NotifyCancel, RequestStep, WriteMapPage
from podium.coordinator.core._failure import TIMEOUT_ERROR, fail_attempt
from podium.coordinator.core._plan import to_ms
from podium.coordinator.core._state import ItemAttempt, JsonValue, MapProgress, replace_fields
from podium.coordinator.core._tx import Tx, finish_step, stop_items
from podium.pipelines import ItemFailure, Step, reference_value

MAP_ITEMS_ERROR = "MapItemsError"
"""The error type of a map step whose ``for_each`` names no list (not retried)."""
MAP_ITEM_FAILED = "MapItemFailed"
"""The error type of a map step failed by an item, under ``on_item_failure: fail``."""
MAX_ITEMS = 100_000
"""Most items a map step takes (a longer list fails the step)."""
FAILED_KEPT = 1000
"""Failed item indices a map step lists (the count goes on)."""
PAGE_BYTES = 64 * 1024
"""Outputs a map step buffers in the run's state before writing them out as a page."""
PROGRESS_EVENTS = 100
"""A map step announces its progress (a run event) about this many times: every item of a
map of up to 100, every 100th of one of 10,000."""
_ENTRY_BYTES = 8
"""What an output costs in a page beyond its JSON: its index and separators, rounded up."""

_RUNNING = StepStatus.RUNNING


def start_map(tx: Tx, step: Step) -> None:
    """Start the ready map ``step``: its first items, its outcome at once for an empty list,
    or its failure when ``for_each`` names no list."""
    name, current = step.name, tx.step(step.name)
    floor = current.map.max_attempt if current.map is not None else 0
    values = _values(tx, step)
    total = len(values) if isinstance(values, list) else 0
    progress = MapProgress(total=total, attempt_floor=floor, max_attempt=floor)
    started = tx.now_ms if current.started_at_ms is None else current.started_at_ms
    running = replace_fields(
        current,
        status=_RUNNING,
        attempt=current.attempt + 1,
        deadline_ms=None,
        retry_at_ms=None,
        started_at_ms=started,
        map=progress,
    )
    tx.put_step(name, running)
    shape = {"for_each": step.for_each, "max_parallel": step.max_parallel}
    tx.emit_step(name, {"topic": tx.spec(name).topic, "map": {**shape, **summary(progress)}})
    if isinstance(values, str):
        error = StepError(error_type=MAP_ITEMS_ERROR, error_message=values, retryable=False)
        fail_attempt(tx, name, error)
        return
    refill(tx, name)


def _values(tx: Tx, step: Step) -> list[JsonValue] | str:
    """The list ``for_each`` names, or why there is none."""
    run = tx.state
    upstream = {dep: run.steps[dep].output for dep in step.after}
    assert step.for_each is not None
    value = reference_value(
        step.for_each, run_id=run.run_id, params=run.params, input=step.input, upstream=upstream
    )
    if isinstance(value, list):
        if len(value) <= MAX_ITEMS:
            return value
        return f"for_each {step.for_each}: {len(value)} items, over the {MAX_ITEMS} a map takes"
    named = "nothing in the run" if value is None else f"a {type(value).__name__}"
    return f"for_each {step.for_each} is not a list: it names {named}"


def _source(step: Step) -> tuple[str, str]:
    """Where the list is: ``("steps", <dependency>)`` or ``("params", <param>)``. Neither
    the dependency's output nor the param travels with each item (the item does)."""
    head, _, rest = (step.for_each or "").partition(".")
    return head, rest.split(".", 1)[0]


def refill(tx: Tx, name: str) -> None:
    """Request the items whose retry is due and the next items while slots are free (none
    while the run is paused), then end the step if every item has finished."""
    progress = _progress(tx, name)
    if tx.state.status is RunStatus.RUNNING:
        progress = _requested(tx, tx.plan.steps[name], progress)
    _put(tx, name, progress)
    if progress.next_index >= progress.total and not progress.items:
        _succeed(tx, name, progress)


def _requested(tx: Tx, step: Step, progress: MapProgress) -> MapProgress:
    due = [
        (index, item.attempt + 1)
        for index, item in progress.items.items()
        if item.retry_at_ms is not None and item.retry_at_ms <= tx.now_ms
    ]
    slots = step.max_parallel - len(progress.items)
    start, end = progress.next_index, min(progress.total, progress.next_index + max(0, slots))
    fresh = [(index, progress.attempt_floor + 1) for index in range(start, end)]
    if not due and not fresh:
        return progress
    values = _values(tx, step)
    assert isinstance(values, list)  # it was when the step started, and it is kept
    items = dict(progress.items)
    for index, attempt in sorted(due) + fresh:
        items[index] = _request_item(tx, step, values[index], index, attempt)
    highest = max(progress.max_attempt, *(attempt for _, attempt in due + fresh))
    return replace_fields(progress, items=items, next_index=end, max_attempt=highest)


def _request_item(tx: Tx, step: Step, value: JsonValue, index: int, attempt: int) -> ItemAttempt:
    spec, run = tx.spec(step.name), tx.state
    deadline = tx.now_ms + spec.timeout_ms
    root, source = _source(step)
    skip = source if root == "steps" else None
    upstream = {dep: run.steps[dep].output for dep in step.after if dep != skip}
    params = run.params
    if root == "params":
        params = {name: value for name, value in params.items() if name != source}
    envelope = step_envelope({**step.input, "item": value, "index": index}, upstream)
    item = map_item_name(step.name, index)
    request = RequestStep(
        run.run_id, item, attempt, spec.topic, deadline, envelope, params, run.trace
    )
    tx.commands.append(request)
    return ItemAttempt(attempt, deadline)


def _progress(tx: Tx, name: str) -> MapProgress:
    progress = tx.step(name).map
    assert progress is not None, f"{name} is not a started map step"
    return progress


def _put(tx: Tx, name: str, progress: MapProgress) -> None:
    """Store ``progress``; the step's deadline is its earliest item timer (retry times only
    while the run runs: a paused run's retries wait for the resume)."""
    paused = tx.state.status is not RunStatus.RUNNING
    times = [
        item.deadline_ms if item.deadline_ms is not None else item.retry_at_ms
        for item in progress.items.values()
        if item.deadline_ms is not None or not paused
    ]
    earliest = min((t for t in times if t is not None), default=None)
    tx.put_step(name, replace_fields(tx.step(name), map=progress, deadline_ms=earliest))


def item_problem(tx: Tx, name: str, index: int, attempt: int) -> str | None:
    """Why a result or heartbeat of item ``index``/``attempt`` of ``name`` is ignored."""
    step, spec = tx.state.steps.get(name), tx.plan.steps.get(name)
    if step is None or step.map is None or spec is None or spec.for_each is None:
        return "unknown-step"
    if step.status is not _RUNNING:
        return "step-finished" if step.status.is_finished else "not-running"
    progress = step.map
    if attempt <= progress.attempt_floor:
        return "stale-attempt"  # of an earlier try of the step (a re-run)
    item = progress.items.get(index)
    if item is None:
        return "item-finished" if index < progress.next_index else "unknown-item"
    if attempt < item.attempt or item.deadline_ms is None:  # waiting: this one failed
        return "stale-attempt"
    return "unknown-attempt" if attempt > item.attempt else None


def item_succeeded(tx: Tx, name: str, index: int, output: JsonValue) -> None:
    """Item ``index`` returned ``output`` (``item_problem`` said it counts)."""
    progress = _progress(tx, name)
    items = dict(progress.items)
    del items[index]
    progress = replace_fields(
        progress,
        items=items,
        succeeded=progress.succeeded + 1,
        buffer=(*progress.buffer, (index, output)),
        buffer_bytes=progress.buffer_bytes + len(json_text(output)) + _ENTRY_BYTES,
    )
    if progress.buffer_bytes >= PAGE_BYTES:
        progress = _flush(tx, name, progress)
    _put(tx, name, progress)
    if progress.finished % max(1, progress.total // PROGRESS_EVENTS) == 0:
        tx.emit_step(name, {"map": summary(progress)})
    refill(tx, name)


def item_failed(
    tx: Tx, name: str, index: int, error: StepError, retry_after_ms: int | None = None
) -> None:
    """Item ``index``'s attempt failed: it is retried under the step's retry policy, or it
    has failed for good (then ``on_item_failure`` decides)."""
    progress, spec = _progress(tx, name), tx.spec(name)
    item = progress.items[index]
    tries = item.attempt - progress.attempt_floor
    if error.retryable and tries < spec.retry.max_attempts:
        seed = f"{tx.state.run_id}:{map_item_name(name, index)}:{item.attempt}"
        backoff_ms = to_ms(compute_backoff(spec.retry, tries, seed=seed))
        retry_at = tx.now_ms + retry_delay_ms(backoff_ms, retry_after_ms)
        waiting = ItemAttempt(item.attempt, None, retry_at)
        _put(tx, name, replace_fields(progress, items={**progress.items, index: waiting}))
        return
    _failed_for_good(tx, name, index, error, progress)


def _failed_for_good(
    tx: Tx, name: str, index: int, error: StepError, progress: MapProgress
) -> None:
    items = dict(progress.items)
    del items[index]
    failed = (*progress.failed, index) if len(progress.failed) < FAILED_KEPT else progress.failed
    progress = replace_fields(
        progress,
        items=items,
        failed=failed,
        failed_count=progress.failed_count + 1,
        error=progress.error or error,
    )
    _put(tx, name, progress)
    tx.emit_step(name, {"map": summary(progress)})
    if tx.plan.steps[name].on_item_failure is ItemFailure.FAIL:
        tx.commands.extend(stop_items(tx, name, progress))
        message = f"item {index} of {progress.total} failed: {error.error_type}: "
        failure = StepError(
            error_type=MAP_ITEM_FAILED, error_message=message + error.error_message, retryable=False
        )
        fail_attempt(tx, name, failure)
        return
    refill(tx, name)


def item_heartbeat(tx: Tx, name: str, index: int, extend_ms: int | None) -> None:
    progress = _progress(tx, name)
    deadline = heartbeat_deadline_ms(tx.now_ms, tx.spec(name).timeout_ms, extend_ms)
    alive = ItemAttempt(progress.items[index].attempt, deadline)
    _put(tx, name, replace_fields(progress, items={**progress.items, index: alive}))


def map_timer(tx: Tx, name: str) -> None:
    """The map step's timer is due: time out overdue items (told to stop; retried under the
    step's policy), then request what is due."""
    timeout_s = tx.spec(name).timeout_ms / 1000
    overdue = sorted(
        (index, item.attempt)
        for index, item in _progress(tx, name).items.items()
        if item.deadline_ms is not None and item.deadline_ms <= tx.now_ms
    )
    for index, attempt in overdue:
        if tx.step(name).status is not _RUNNING:  # an earlier item failed the step
            return
        message = f"no result within {timeout_s:g}s (item {index}, attempt {attempt})"
        item = map_item_name(name, index)
        tx.commands.append(NotifyCancel(tx.state.run_id, item, attempt, tx.spec(name).topic))
        timeout = StepError(error_type=TIMEOUT_ERROR, error_message=message, retryable=True)
        item_failed(tx, name, index, timeout)
    if tx.step(name).status is _RUNNING:
        refill(tx, name)


def _flush(tx: Tx, name: str, progress: MapProgress) -> MapProgress:
    """Write the buffered outputs out as the step's next page."""
    key = f"{tx.state.run_id}/{name}/{tx.step(name).attempt}/{progress.pages}"
    outputs = tuple(sorted(progress.buffer, key=_index))
    tx.commands.append(WriteMapPage(tx.state.run_id, name, key, progress.pages, outputs))
    return replace_fields(progress, buffer=(), buffer_bytes=0, pages=progress.pages + 1)


def _index(entry: tuple[int, JsonValue]) -> int:
    return entry[0]


def _succeed(tx: Tx, name: str, progress: MapProgress) -> None:
    """Every item has finished (any failed one under ``continue``): the step succeeds with
    the outputs in item order, inline when they are small, else the reference to its pages
    (the last one written now)."""
    inline = progress.pages == 0 and progress.total * 5 + progress.buffer_bytes <= PAGE_BYTES
    output: dict[str, JsonValue] = summary(progress)
    if inline:
        outputs: list[JsonValue] = [None] * progress.total
        for index, value in progress.buffer:
            outputs[index] = value
        output["outputs"] = outputs
        progress = replace_fields(progress, buffer=(), buffer_bytes=0)
    else:
        if progress.buffer:
            progress = _flush(tx, name, progress)
        prefix = f"{tx.state.run_id}/{name}/{tx.step(name).attempt}/"
        since = tx.step(name).started_at_ms  # no page of this attempt is older
        output["pages"] = {"key_prefix": prefix, "count": progress.pages, "written_from_ms": since}
    _put(tx, name, progress)
    detail = {"output": output, "map": summary(progress)}
    finish_step(tx, name, StepStatus.SUCCEEDED, detail, output=output)


def summary(progress: MapProgress) -> dict[str, JsonValue]:
    """A map step's counts, as its run events and its output show them."""
    return {
        "items": progress.total,
        "succeeded": progress.succeeded,
        "failed_count": progress.failed_count,
        "failed": list(progress.failed),
    }
