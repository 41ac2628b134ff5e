"""The handler-alone baseline measures the coordinator's real path: runs end succeeded."""

from __future__ import annotations

from podium.contract import RunStatus, StepStatus
from podium_bench._handler import handle_all, handler_cpu_us_per_event, prepared


def test_every_run_of_the_baseline_reaches_success_through_the_handler() -> None:
    handler, messages = prepared(runs=5)
    assert len(messages) == 5 * 4  # a request and three results per run
    store = handle_all(handler, messages, per_poll=3)
    runs = [store[f"handler-{index:06d}"] for index in range(5)]
    assert all(run.status is RunStatus.SUCCEEDED for run in runs)
    assert all(step.status is StepStatus.SUCCEEDED for run in runs for step in run.steps.values())
    assert handler.counters["events"] == 20 and not store.changes()


def test_the_baseline_is_cpu_per_event() -> None:
    assert handler_cpu_us_per_event(runs=20) > 0
