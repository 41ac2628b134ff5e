"""``max_active_runs`` on the per-run side: queued runs, Admitted, and releasing the slot."""

from __future__ import annotations

import json

from podium.contract import RunStatus, StepStatus
from podium.coordinator import RunState
from podium.coordinator.core import ADMISSION_RETRY_MS, ReleaseAdmission, RequestAdmission, WakeAt
from tests.unit.test_machine_support import (
    Driver,
    admission_requests,
    cancels,
    make_pipeline,
    releases,
    requested,
    run_events,
    step,
    transitions,
)

R = RunStatus
S = StepStatus


def capped(*steps: dict[str, object], limit: int = 2) -> Driver:
    pipeline = make_pipeline(*steps, name="ingest", version=3, max_active_runs=limit)
    return Driver(pipeline, run_id="run-7", now_ms=5_000)


def test_a_capped_run_starts_queued_and_asks_for_a_slot() -> None:
    run = capped(step("a"), step("b", "a"))
    decision = run.start(requested_at_ms=4_000)
    assert run.run.status is R.QUEUED and not run.run.status.is_terminal
    assert requested(decision) == []
    assert admission_requests(decision) == [RequestAdmission("run-7", "ingest", 3, 4_000)]
    [event] = run_events(decision)
    assert event.run_status is R.QUEUED and event.step is None
    assert event.detail["params"] == {} and event.detail["max_active_runs"] == 2
    assert decision.commands[-1] == WakeAt("run-7", 5_000 + ADMISSION_RETRY_MS)


def test_admitted_starts_the_run_like_an_uncapped_start() -> None:
    run = capped(step("a"), step("b"), step("c", "a"))
    run.start()
    decision = run.admit(at_ms=9_000)
    assert run.run.status is R.RUNNING
    assert requested(decision) == ["a", "b"]
    assert transitions(decision) == [(None, "RUNNING"), ("a", "RUNNING"), ("b", "RUNNING")]
    assert run_events(decision)[0].detail == {"queued_ms": 4_000}
    assert admission_requests(decision) == [] and releases(decision) == []


def test_a_repeated_admitted_changes_nothing() -> None:
    run = capped(step("a"))
    run.start()
    run.admit()
    before = run.run
    decision = run.admit()
    assert decision.ignored == "already-admitted"
    assert decision.commands == (WakeAt("run-7", before.steps["a"].deadline_ms),)
    assert run.run.steps == before.steps and run.run.status is R.RUNNING


def test_a_queued_run_ignores_results_and_early_timers() -> None:
    run = capped(step("a"))
    run.start()
    assert run.succeed("a", attempt=1).ignored == "unknown-attempt"
    assert run.succeed("a", attempt=0).ignored == "not-running"
    assert run.tick(5_000 + ADMISSION_RETRY_MS - 1).ignored == "not-due"
    assert run.run.status is R.QUEUED and run.run.steps["a"].status is S.PENDING


def test_a_queued_run_with_no_answer_asks_again() -> None:
    """Heals a lost request or a lost answer; the admission side absorbs the repeat."""
    run = capped(step("a"))
    run.start(requested_at_ms=4_000)
    due = 5_000 + ADMISSION_RETRY_MS
    decision = run.tick(due)
    assert admission_requests(decision) == [RequestAdmission("run-7", "ingest", 3, 4_000)]
    assert run_events(decision) == [] and requested(decision) == []
    assert decision.commands[-1] == WakeAt("run-7", due + ADMISSION_RETRY_MS)
    assert run.tick(due).ignored == "not-due"


def test_cancelling_a_queued_run_gives_up_its_place() -> None:
    run = capped(step("a"), step("b", "a"))
    run.start()
    decision = run.cancel("operator")
    assert run.run.status is R.CANCELLED and cancels(decision) == []
    assert {s.status for s in run.run.steps.values()} == {S.CANCELLED}
    assert releases(decision) == [ReleaseAdmission("run-7", "ingest")]
    assert decision.commands[-2:] == (releases(decision)[0], WakeAt("run-7", None))
    assert run.admit().ignored == "run-finished"


def ended(driver: Driver, *actions: str) -> Driver:
    """Start and admit the run, then apply ``"succeed:<step>"`` / ``"fail:<step>"`` in order."""
    driver.start({"go": False})
    driver.admit()
    for action in actions:
        verb, name = action.split(":", 1)
        if verb == "succeed":
            driver.succeed(name)
        else:
            driver.fail(name, retryable=False)
    return driver


def test_every_way_a_capped_run_ends_releases_its_slot_once() -> None:
    undoable = step("a", compensation={"service": "undo"})
    cases = [
        (ended(capped(step("a")), "succeed:a"), R.SUCCEEDED),
        (ended(capped(step("a")), "fail:a"), R.FAILED),
        (ended(capped(step("a", when="params.go == true"))), R.SUCCEEDED),
        (
            ended(
                capped(undoable, step("b", "a", on_failure="compensate")),
                *("succeed:a", "fail:b", "succeed:compensate:a"),
            ),
            R.COMPENSATED,
        ),
    ]
    for run, status in cases:
        assert run.run.status is status
        assert releases(run.last) == [ReleaseAdmission("run-7", "ingest")]
        run.cancel()
        run.admit()
        assert sum(len(releases(d)) for d in run.decisions) == 1


def test_an_uncapped_pipeline_never_talks_to_admission() -> None:
    run = Driver(make_pipeline(step("a"), step("b", "a")))
    run.start()
    run.succeed("a")
    run.succeed("b")
    assert run.run.status is R.SUCCEEDED
    assert run.admit().ignored == "run-finished"
    assert all(not admission_requests(d) and not releases(d) for d in run.decisions)


def test_queued_state_round_trips_and_older_states_still_load() -> None:
    run = capped(step("a"))
    run.start()
    assert RunState.from_dict(json.loads(json.dumps(run.run.to_dict()))) == run.run
    older = {k: v for k, v in run.run.to_dict().items() if k != "admission_requested_at_ms"}
    assert RunState.from_dict(older).admission_requested_at_ms is None
