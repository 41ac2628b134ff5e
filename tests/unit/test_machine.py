"""The coordinator's decisions, one semantic rule per test, without Kafka."""

from __future__ import annotations

import json

import pytest

import podium.coordinator.core as coordinator
from podium.contract import RunStatus, StepError, StepStatus
from podium.coordinator import RunState
from podium.coordinator.core import (
    StartRun,
    StepHeartbeatEvent,
    TimerFired,
    WakeAt,
    compute_backoff,
    decide,
)
from tests.unit.test_machine_support import (
    TRACE,
    Driver,
    cancels,
    make_pipeline,
    requested,
    requests,
    run_events,
    step,
    transitions,
)

S = StepStatus
R = RunStatus
RETRY3 = {"max_attempts": 3, "initial_backoff": "2s", "factor": 2, "jitter": 0}


def diamond() -> Driver:
    return Driver(
        make_pipeline(
            step("validate", input={"path": "/in.csv"}),
            step("by_day", "validate", timeout="30s"),
            step("by_user", "validate", timeout="10s"),
            step("load", "by_day", "by_user"),
        )
    )


# --- start and fan-out ---------------------------------------------------------------------


def test_start_requests_every_root_with_params_trace_and_deadline() -> None:
    run = Driver(
        make_pipeline(step("a", timeout="5s"), step("b", topic="custom.b"), step("c", "a"))
    )
    decision = run.start({"day": "2024-01-01"})
    assert run.run.status is R.RUNNING
    a, b = requests(decision)
    assert (a.step, a.attempt, a.topic, a.deadline_ms) == ("a", 1, "podium.steps.svc-a", 6_000)
    assert (b.step, b.topic, b.deadline_ms) == ("b", "custom.b", 301_000)
    assert a.params == {"day": "2024-01-01"} and a.trace == TRACE and b.trace == TRACE
    assert run.run.steps["c"].status is S.PENDING
    assert transitions(decision) == [(None, "RUNNING"), ("a", "RUNNING"), ("b", "RUNNING")]
    assert decision.commands[-1] == WakeAt("run-1", 6_000)


def test_start_event_carries_what_a_read_model_needs() -> None:
    run = Driver(make_pipeline(step("a")))
    decision = run.start({"x": 1}, trigger={"type": "http"}, requested_at_ms=900)
    first = run_events(decision)[0]
    assert first.step is None and first.run_status is R.RUNNING and first.at_ms == 1_000
    assert first.detail == {
        "pipeline": "demo",
        "version": 1,
        "params": {"x": 1},
        "trigger": {"type": "http"},
        "requested_at_ms": 900,
    }


def test_second_start_is_an_ignored_duplicate() -> None:
    run = diamond()
    run.start()
    before = run.run
    decision = run.start({"other": True})
    assert decision.ignored == "duplicate"
    assert decision.commands == (WakeAt("run-1", before.steps["validate"].deadline_ms),)
    assert run.run.ignored == {"duplicate": 1}
    assert run.run.steps == before.steps and run.run.params == before.params


def test_step_input_has_static_input_and_direct_upstream_outputs() -> None:
    run = diamond()
    first = requests(run.start())[0]
    assert first.input == {"input": {"path": "/in.csv"}, "upstream": {}}
    fanned = run.succeed("validate", {"rows": 3})
    assert requested(fanned) == ["by_day", "by_user"]
    assert all(r.input["upstream"] == {"validate": {"rows": 3}} for r in requests(fanned))
    run.succeed("by_day", {"days": 2})
    load = requests(run.succeed("by_user", {"users": 1}))[0]
    assert load.input == {"input": {}, "upstream": {"by_day": {"days": 2}, "by_user": {"users": 1}}}


def test_fan_in_waits_for_every_dependency_then_the_run_succeeds() -> None:
    run = diamond()
    run.start()
    run.succeed("validate", {"rows": 3})
    assert requested(run.succeed("by_day")) == []
    assert requested(run.succeed("by_user")) == ["load"]
    done = run.succeed("load", {"loaded": True})
    assert transitions(done) == [("load", "SUCCEEDED"), (None, "SUCCEEDED")]
    assert run.run.status is R.SUCCEEDED and run.run.finished_at_ms == run.now_ms
    assert run.run.steps["load"].output == {"loaded": True}
    assert done.commands[-1] == WakeAt("run-1", None)


def test_completion_order_is_recorded() -> None:
    run = diamond()
    run.start()
    run.succeed("validate")
    run.succeed("by_user")
    run.succeed("by_day")
    seqs = {name: s.completed_seq for name, s in run.run.steps.items()}
    assert seqs == {"validate": 1, "by_user": 2, "by_day": 3, "load": None}


# --- conditions ------------------------------------------------------------------------------


def conditional() -> Driver:
    return Driver(
        make_pipeline(
            step("validate"),
            step("load", "validate", when="steps.validate.output.rows > 0"),
            step("notify", "load", when="params.notify == true"),
            step("archive", "notify"),
        )
    )


def test_false_condition_skips_the_step_and_its_dependants_still_run() -> None:
    run = conditional()
    run.start({"notify": False})
    run.succeed("validate", {"rows": 5})
    decision = run.succeed("load")
    assert run.run.steps["notify"].status is S.SKIPPED
    assert ("notify", "SKIPPED") in transitions(decision)
    assert requested(decision) == ["archive"]
    run.succeed("archive")
    assert run.run.status is R.SUCCEEDED


def test_true_conditions_run_the_steps() -> None:
    run = conditional()
    run.start({"notify": True})
    assert requested(run.succeed("validate", {"rows": 5})) == ["load"]
    assert requested(run.succeed("load")) == ["notify"]


def test_skips_cascade_and_a_fully_skipped_run_succeeds_at_once() -> None:
    run = Driver(make_pipeline(step("a", when="params.go == true"), step("b", "a")))
    decision = run.start({"go": False})
    assert requested(decision) == ["b"]
    run = Driver(make_pipeline(step("a", when="params.go == true")))
    decision = run.start({"go": False})
    assert transitions(decision) == [(None, "RUNNING"), ("a", "SKIPPED"), (None, "SUCCEEDED")]


def test_a_condition_that_cannot_be_evaluated_fails_the_step() -> None:
    run = Driver(make_pipeline(step("a", when="params.x == ")))
    run.start()
    failed = run.run.steps["a"]
    assert failed.status is S.FAILED and failed.error is not None
    assert failed.error.error_type == coordinator.CONDITION_ERROR
    assert run.run.status is R.FAILED


# --- retries, deadlines, heartbeats ----------------------------------------------------------


def test_retryable_failure_waits_for_backoff_then_retries() -> None:
    run = Driver(make_pipeline(step("a", retry=RETRY3)))
    run.start()
    decision = run.fail("a")
    a = run.run.steps["a"]
    assert a.status is S.RETRY_WAIT and a.retry_at_ms == 3_000
    assert a.error == StepError(error_type="IOError", error_message="disk full", retryable=True)
    assert run_events(decision)[0].detail["retry_at_ms"] == 3_000
    assert run_events(decision)[0].detail["error"]["retryable"] is True  # the run event says so
    assert decision.commands[-1] == WakeAt("run-1", 3_000)
    assert run.tick(2_999).ignored == "not-due"
    retry = run.tick(3_000)
    assert [(r.step, r.attempt, r.deadline_ms) for r in requests(retry)] == [("a", 2, 303_000)]
    run.succeed("a")
    assert run.run.status is R.SUCCEEDED and run.run.steps["a"].attempt == 2


def test_backoff_grows_and_uses_the_deterministic_jitter() -> None:
    policy = {"max_attempts": 3, "initial_backoff": "1s", "factor": 3, "jitter": 0.5}
    run = Driver(make_pipeline(step("a", retry=policy)))
    run.start()
    run.fail("a")
    first = run.run.steps["a"].retry_at_ms
    run.tick(first or 0)
    run.fail("a")
    second = run.run.steps["a"].retry_at_ms
    pipeline_policy = run.pipeline.step("a").retry
    assert first == 1_000 + round(1000 * compute_backoff(pipeline_policy, 1, seed="run-1:a:1"))
    assert second == run.now_ms + round(
        1000 * compute_backoff(pipeline_policy, 2, seed="run-1:a:2")
    )


def test_exhausted_retries_fail_the_run_and_cancel_the_rest() -> None:
    run = Driver(make_pipeline(step("a", retry=RETRY3), step("b"), step("c", "b"), step("d", "a")))
    run.start()
    for at in (3_000, 7_000):
        run.fail("a")
        run.tick(at)
    decision = run.fail("a")
    assert run.run.steps["a"].attempt == 3 and run.run.steps["a"].status is S.FAILED
    assert [(c.step, c.attempt, c.topic) for c in cancels(decision)] == [
        ("b", 1, "podium.steps.svc-b")
    ]
    assert {n: s.status for n, s in run.run.steps.items()} == {
        "a": S.FAILED,
        "b": S.CANCELLED,
        "c": S.CANCELLED,
        "d": S.CANCELLED,
    }
    assert run.run.status is R.FAILED
    assert run.run.reason == "step a failed: IOError: disk full"
    assert run_events(decision)[-1].detail == {"reason": "step a failed: IOError: disk full"}


def test_non_retryable_failure_fails_at_once() -> None:
    run = Driver(make_pipeline(step("a", retry=RETRY3)))
    run.start()
    run.fail("a", retryable=False)
    assert run.run.steps["a"].status is S.FAILED and run.run.steps["a"].attempt == 1
    assert run.run.status is R.FAILED


def test_deadline_passed_counts_as_a_failed_retryable_attempt() -> None:
    run = Driver(make_pipeline(step("a", timeout="10s", retry=RETRY3)))
    run.start()
    assert run.tick(10_999).ignored == "not-due"
    run.tick(11_000)
    a = run.run.steps["a"]
    assert a.status is S.RETRY_WAIT and a.error is not None
    assert a.error.error_type == coordinator.TIMEOUT_ERROR and "10s" in a.error.error_message
    retry = run.tick(a.retry_at_ms or 0)
    assert [(r.step, r.attempt) for r in requests(retry)] == [("a", 2)]


def test_a_late_result_for_a_timed_out_attempt_is_stale() -> None:
    run = Driver(make_pipeline(step("a", timeout="10s", retry=RETRY3)))
    run.start()
    run.tick(11_000)
    assert run.succeed("a", attempt=1).ignored == "stale-attempt"
    run.tick(run.run.steps["a"].retry_at_ms or 0)
    assert run.succeed("a", attempt=1).ignored == "stale-attempt"
    assert run.run.ignored == {"stale-attempt": 2}
    run.succeed("a", attempt=2)
    assert run.run.status is R.SUCCEEDED


def test_heartbeats_for_old_attempts_or_finished_steps_are_ignored() -> None:
    run = Driver(make_pipeline(step("a", timeout="10s", retry=RETRY3), step("b")))
    run.start()
    run.fail("a")
    run.tick(run.run.steps["a"].retry_at_ms or 0)
    old = run.send(StepHeartbeatEvent("run-1", "a", 1), 5_000)
    assert old.ignored == "stale-attempt"
    run.succeed("b")
    assert run.send(StepHeartbeatEvent("run-1", "b", 1)).ignored == "step-finished"


def test_timeouts_exhaust_retries_too() -> None:
    run = Driver(make_pipeline(step("a", timeout="1s")))
    run.start()
    run.tick(2_000)
    assert run.run.status is R.FAILED
    message = "no result within 1s (attempt 1)"
    timeout = StepError(error_type="StepTimeout", error_message=message, retryable=True)
    assert run.run.steps["a"].error == timeout


def test_heartbeat_extends_the_deadline() -> None:
    run = Driver(make_pipeline(step("a", timeout="10s")))
    run.start()
    beat = run.heartbeat("a", 8_000)
    assert beat.ignored is None and beat.commands == (WakeAt("run-1", 18_000),)
    assert run.tick(11_000).ignored == "not-due"
    assert run.run.steps["a"].status is S.RUNNING
    run.tick(18_000)
    assert run.run.status is R.FAILED


def test_timer_handles_every_due_step_in_one_decision() -> None:
    run = Driver(
        make_pipeline(step("a", timeout="1s", retry=RETRY3), step("b", timeout="2s", retry=RETRY3))
    )
    run.start()
    decision = run.tick(3_000)
    assert transitions(decision) == [("a", "RETRY_WAIT"), ("b", "RETRY_WAIT")]
    retried = run.tick(5_000)
    assert [(r.step, r.attempt) for r in requests(retried)] == [("a", 2), ("b", 2)]


def test_a_timeout_that_fails_the_run_cancels_the_other_due_steps() -> None:
    run = Driver(make_pipeline(step("a", timeout="1s"), step("b", timeout="2s")))
    run.start()
    decision = run.tick(3_000)
    assert [c.step for c in cancels(decision)] == ["a", "b"]  # a: its attempt timed out
    assert run.run.status is R.FAILED and run.run.steps["b"].status is S.CANCELLED


# --- ignored events --------------------------------------------------------------------------


def test_results_that_change_nothing_are_ignored_and_counted() -> None:
    run = diamond()
    assert decide(None, TimerFired("nope"), run.pipeline, 0).ignored == "unknown-run"
    run.start()
    run.succeed("validate")
    assert run.succeed("validate").ignored == "step-finished"
    assert run.succeed("nope", attempt=1).ignored == "unknown-step"
    assert run.succeed("by_day", attempt=2).ignored == "unknown-attempt"
    assert run.succeed("load", attempt=0).ignored == "not-running"
    assert run.run.ignored == {
        "step-finished": 1,
        "unknown-step": 1,
        "unknown-attempt": 1,
        "not-running": 1,
    }
    assert run.run.ignored_total == 4


def test_mismatched_pipeline_or_run_is_a_caller_bug() -> None:
    run = Driver(make_pipeline(step("a")))
    other = make_pipeline(step("a"), version=2)
    with pytest.raises(ValueError, match="demo@2"):
        decide(None, StartRun("r", "demo", 1), other, 0)
    run.start()
    with pytest.raises(ValueError, match="pinned to demo@1"):
        decide(run.state, TimerFired("run-1"), other, 0)
    with pytest.raises(ValueError, match="run-2"):
        decide(run.state, TimerFired("run-2"), run.pipeline, 0)


# --- cancellation ----------------------------------------------------------------------------


def test_cancel_stops_running_steps_cancels_the_rest_and_ignores_late_results() -> None:
    run = Driver(make_pipeline(step("a"), step("b", retry=RETRY3), step("c", "a")))
    run.start()
    run.fail("b")
    decision = run.cancel("operator")
    assert [(c.step, c.attempt) for c in cancels(decision)] == [("a", 1)]
    assert {n: s.status for n, s in run.run.steps.items()} == {
        "a": S.CANCELLED,
        "b": S.CANCELLED,
        "c": S.CANCELLED,
    }
    assert run.run.status is R.CANCELLED and run.run.reason == "operator"
    assert transitions(decision)[-1] == (None, "CANCELLED")
    assert decision.commands[-1] == WakeAt("run-1", None)
    assert run.succeed("a", attempt=1).ignored == "run-finished"
    assert run.cancel().ignored == "run-finished"
    assert run.run.status is R.CANCELLED


# --- failure policies ------------------------------------------------------------------------


def test_continue_policy_lets_dependants_run_and_the_run_succeed() -> None:
    run = Driver(make_pipeline(step("enrich", on_failure="continue"), step("load", "enrich")))
    run.start()
    decision = run.fail("enrich", retryable=False)
    [load] = requests(decision)
    assert load.input["upstream"] == {"enrich": None}
    run.succeed("load")
    assert run.run.status is R.SUCCEEDED
    assert run.run.steps["enrich"].status is S.FAILED


def saga() -> Driver:
    comp = {"service": "undo"}
    return Driver(
        make_pipeline(
            step("reserve", compensation={**comp, "timeout": "5s"}, input={"sku": 7}),
            step(
                "charge",
                "reserve",
                compensation={**comp, "topic": "undo.charge", "input": {"mode": "refund"}},
            ),
            step("audit", "reserve"),
            step("ship", "charge", on_failure="compensate"),
            step("slow"),
        )
    )


def test_compensation_undoes_completed_steps_newest_first_one_at_a_time() -> None:
    run = saga()
    run.start()
    run.succeed("reserve", {"id": "r1"})
    run.succeed("audit")
    run.succeed("charge", {"id": "c1"})
    decision = run.fail("ship", retryable=False)
    assert [c.step for c in cancels(decision)] == ["slow"]
    assert run.run.status is R.COMPENSATING
    assert run.run.compensation_queue == ("charge", "reserve")
    [undo_charge] = requests(decision)
    assert (undo_charge.step, undo_charge.attempt, undo_charge.topic) == (
        "compensate:charge",
        1,
        "undo.charge",
    )
    assert undo_charge.input == {
        "input": {"mode": "refund"},
        "compensates": "charge",
        "step_input": {},
        "output": {"id": "c1"},
    }
    [undo_reserve] = requests(run.succeed("compensate:charge"))
    assert (undo_reserve.step, undo_reserve.topic) == ("compensate:reserve", "podium.steps.undo")
    assert undo_reserve.deadline_ms == run.now_ms + 5_000
    assert undo_reserve.input == {
        "input": {},
        "compensates": "reserve",
        "step_input": {"sku": 7},
        "output": {"id": "r1"},
    }
    done = run.succeed("compensate:reserve")
    assert transitions(done)[-1] == (None, "COMPENSATED")
    final = run.run  # a fresh name: mypy narrowed run.run.status above
    assert final.status is R.COMPENSATED and final.compensation_queue == ()
    assert final.reason == "step ship failed: IOError: disk full"


def test_results_of_cancelled_steps_are_ignored_while_compensating() -> None:
    run = saga()
    run.start()
    run.succeed("reserve")
    run.succeed("charge")
    run.fail("ship", retryable=False)
    assert run.succeed("slow", attempt=1).ignored == "step-finished"
    assert run.run.status is R.COMPENSATING


def test_compensation_retries_with_the_step_policy_then_fails_the_run() -> None:
    run = Driver(
        make_pipeline(
            step("a", compensation={"service": "undo"}, retry={**RETRY3, "max_attempts": 2}),
            step("b", "a", on_failure="compensate"),
        )
    )
    run.start()
    run.succeed("a")
    run.fail("b", retryable=False)
    run.fail("compensate:a")
    assert run.run.steps["compensate:a"].status is S.RETRY_WAIT
    retry = run.tick(run.run.steps["compensate:a"].retry_at_ms or 0)
    assert [(r.step, r.attempt) for r in requests(retry)] == [("compensate:a", 2)]
    run.fail("compensate:a")
    assert run.run.status is R.FAILED
    assert run.run.compensation_queue == ("a",)
    assert run.run.reason == "step compensate:a failed: IOError: disk full"


def test_cancel_during_compensation_stops_the_compensation() -> None:
    run = saga()
    run.start()
    run.succeed("reserve")
    run.succeed("charge")
    run.fail("ship", retryable=False)
    decision = run.cancel()
    assert [(c.step, c.topic) for c in cancels(decision)] == [("compensate:charge", "undo.charge")]
    assert run.run.status is R.CANCELLED
    assert run.run.compensation_queue == ("charge", "reserve")


def test_compensation_with_nothing_to_undo_ends_compensated() -> None:
    run = Driver(make_pipeline(step("a", on_failure="compensate")))
    run.start()
    decision = run.fail("a")
    assert transitions(decision)[-2:] == [(None, "COMPENSATING"), (None, "COMPENSATED")]


# --- state storage and API -------------------------------------------------------------------


def test_state_round_trips_through_json() -> None:
    run = saga()
    run.start({"n": [1, 2]})
    run.succeed("reserve", {"id": "r1"})
    run.fail("audit", retryable=False)
    run.cancel()
    stored = json.loads(json.dumps(run.run.to_dict()))
    assert RunState.from_dict(stored) == run.run


def test_bad_stored_state_names_the_field() -> None:
    run = diamond()
    run.start()
    data = run.run.to_dict()
    data["steps"]["load"]["status"] = "exploded"
    with pytest.raises(ValueError, match=r"steps\.load\.status"):
        RunState.from_dict(data)


def test_run_event_log_of_a_simple_run() -> None:
    run = Driver(make_pipeline(step("a"), step("b", "a")))
    logs = [transitions(run.start()), transitions(run.succeed("a")), transitions(run.succeed("b"))]
    assert logs == [
        [(None, "RUNNING"), ("a", "RUNNING")],
        [("a", "SUCCEEDED"), ("b", "RUNNING")],
        [("b", "SUCCEEDED"), (None, "SUCCEEDED")],
    ]
