"""What the coordinator's metrics count, from the decisions of real runs (``_observe``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._observe import tally
from podium.coordinator.core import TIMEOUT_ERROR, Decision, PauseRun, ResumeRun, RetryRun
from tests.unit.test_machine_support import Driver, make_pipeline, step

RETRY2 = {"max_attempts": 2, "initial_backoff": "1s", "factor": 1, "max_backoff": "1s"}


def observed(
    run: Driver, results: dict[int, int] | None = None
) -> list[tuple[Decision, bool, int | None]]:
    """Each decision as the handler keeps it: the first one created the run; ``results``
    gives, by decision index, when the step result it applied was appended."""
    appended = results or {}
    return [(d, i == 0, appended.get(i)) for i, d in enumerate(run.decisions)]


def test_a_run_that_retries_then_succeeds() -> None:
    run = Driver(make_pipeline(step("a", retry=RETRY2), step("b", "a")), now_ms=1_000)
    run.start()
    run.fail("a")  # attempt 1: retried
    run.tick(2_000)  # the retry's time: attempt 2 requested
    run.succeed("a")
    run.succeed("b")
    counts = tally(observed(run, results={1: 800, 3: 900, 4: 950}))
    assert counts.runs_started == {"demo": 1}
    assert counts.runs_finished == {("demo", "succeeded"): 1}
    assert counts.attempts == {
        ("demo", "a", "retried"): 1,
        ("demo", "a", "succeeded"): 1,
        ("demo", "b", "succeeded"): 1,
    }
    assert [name for _, name, _ in counts.step_seconds] == ["a", "b"]  # one per finished step
    assert counts.run_seconds == [("demo", (run.run.finished_at_ms - 1_000) / 1000)]
    # a's success requested b; a's failure and b's success requested nothing, and the
    # retry came from a timer, not a result
    assert counts.transitions_from_ms == [900]


def test_a_timeout_counts_as_timed_out_and_fails_the_run() -> None:
    run = Driver(make_pipeline(step("a", timeout="1s")), now_ms=0)
    run.start()
    run.tick(5_000)
    counts = tally(observed(run))
    assert counts.attempts == {("demo", "a", "timed_out"): 1}
    assert counts.runs_finished == {("demo", "failed"): 1}
    assert run.run.steps["a"].error is not None
    assert run.run.steps["a"].error.error_type == TIMEOUT_ERROR
    assert counts.step_seconds == [("demo", "a", 5.0)]


def test_an_event_that_changes_nothing_counts_nothing() -> None:
    run = Driver(make_pipeline(step("a")))
    run.start()
    run.succeed("a")
    late = run.succeed("a", attempt=1)  # a redelivered result: ignored
    assert late.ignored
    assert tally([(late, False, 5)]).attempts == {}
    assert tally([(late, False, 5)]).transitions_from_ms == []


@given(st.lists(st.sampled_from(["ok", "fail", "timeout"]), min_size=1, max_size=6))
def test_every_ended_attempt_is_counted_once(outcomes: list[str]) -> None:
    """A one-step pipeline with enough retries: each attempt's end is one count, and the
    run ends once (succeeded at the first ok, else failed when attempts run out)."""
    retry = {"max_attempts": len(outcomes), "initial_backoff": "1s", "factor": 1}
    run = Driver(make_pipeline(step("a", retry=retry, timeout="10s")), now_ms=0)
    run.start()
    now = 0
    for outcome in outcomes:
        if outcome == "ok":
            run.succeed("a")
            break
        if outcome == "fail":
            run.fail("a")
        else:
            now = run.run.steps["a"].deadline_ms or now
            run.tick(now)
        if run.run.status.is_terminal:
            break
        now = run.run.steps["a"].retry_at_ms or now
        run.tick(now)
    counts = tally(observed(run))
    attempts = run.run.steps["a"].attempt
    assert sum(counts.attempts.values()) == attempts
    assert sum(counts.runs_finished.values()) == 1
    status = "succeeded" if "ok" in outcomes else "failed"
    assert counts.runs_finished == {("demo", status): 1}


def test_a_paused_resumed_and_rerun_run_counts_each_control_and_each_end() -> None:
    run = Driver(make_pipeline(step("a"), step("b", "a")), now_ms=0)
    run.start()
    run.send(PauseRun(run.run_id, "sre", requested_at_ms=1))
    run.send(PauseRun(run.run_id, "sre", requested_at_ms=1))  # redelivered: not counted
    run.send(ResumeRun(run.run_id, "sre", requested_at_ms=2))
    run.succeed("a")
    run.fail("b", retryable=False)
    run.send(RetryRun(run.run_id, None, "ann", requested_at_ms=3))
    run.succeed("b")
    counts = tally(observed(run))
    assert counts.controls == {("demo", "pause"): 1, ("demo", "resume"): 1, ("demo", "rerun"): 1}
    assert counts.runs_started == {"demo": 1}
    assert counts.runs_finished == {("demo", "failed"): 1, ("demo", "succeeded"): 1}
