"""What a service asks for is honoured: a heartbeat's ``extend``, a failure's
``retry_after``; and an attempt that timed out is told to stop (pure machine)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import StepStatus as S
from podium.coordinator.core import StepFailedEvent, StepHeartbeatEvent
from podium.coordinator.core._backoff import (
    MAX_SERVICE_DELAY_MS,
    heartbeat_deadline_ms,
    retry_delay_ms,
)
from tests.unit.test_machine_support import Driver, cancels, make_pipeline, requests, step

RETRY3 = {"max_attempts": 3, "initial_backoff": 2.0, "factor": 1.0, "jitter": 0.0}
delays = st.none() | st.integers(min_value=-(10**12), max_value=10**12)


@given(st.integers(min_value=0, max_value=10**12), st.integers(1, 10**9), delays)
def test_a_heartbeat_deadline_is_the_asked_extension_or_the_timeout(
    now: int, timeout: int, extend: int | None
) -> None:
    deadline = heartbeat_deadline_ms(now, timeout, extend)
    if extend is None or extend <= 0:
        assert deadline == now + timeout
    else:
        assert deadline == now + min(extend, MAX_SERVICE_DELAY_MS)
    assert now < deadline <= now + max(timeout, MAX_SERVICE_DELAY_MS)


@given(st.integers(min_value=0, max_value=10**9), delays)
def test_a_retry_waits_what_the_service_asked_else_the_backoff(
    backoff: int, retry_after: int | None
) -> None:
    delay = retry_delay_ms(backoff, retry_after)
    if retry_after is None:
        assert delay == backoff
    else:
        assert delay == min(max(retry_after, 0), MAX_SERVICE_DELAY_MS)


@given(st.integers(min_value=1, max_value=3 * 24 * 3600 * 1000))
def test_a_heartbeat_with_extend_moves_the_deadline_that_far(extend_ms: int) -> None:
    run = Driver(make_pipeline(step("a", timeout="10s")))
    run.start()
    run.send(StepHeartbeatEvent(run.run_id, "a", 1, extend_ms), 5_000)
    deadline = 5_000 + min(extend_ms, MAX_SERVICE_DELAY_MS)
    assert run.run.steps["a"].deadline_ms == deadline
    if deadline - 1 > 5_000 + 10_000:  # past the plain timeout: still running
        run.tick(deadline - 1)
        assert run.run.steps["a"].status is S.RUNNING
    run.tick(deadline)
    assert run.run.steps["a"].status is not S.RUNNING  # timed out at the asked deadline


@given(st.integers(min_value=0, max_value=2 * 24 * 3600 * 1000))
def test_retry_after_replaces_the_backoff(retry_after_ms: int) -> None:
    run = Driver(make_pipeline(step("a", retry=RETRY3)))
    run.start()
    failed = StepFailedEvent(run.run_id, "a", 1, "RateLimited", "429", True, retry_after_ms)
    run.send(failed, 3_000)
    retry_at = 3_000 + min(retry_after_ms, MAX_SERVICE_DELAY_MS)
    assert run.run.steps["a"].retry_at_ms == retry_at
    if retry_at > 3_000:
        assert not requests(run.tick(retry_at - 1))
    assert [(r.step, r.attempt) for r in requests(run.tick(retry_at))] == [("a", 2)]


def test_a_timed_out_attempt_is_told_to_stop_before_its_retry() -> None:
    run = Driver(make_pipeline(step("a", timeout="1s", retry=RETRY3)))
    run.start()
    timed_out = run.tick(2_000)
    assert [(c.step, c.attempt) for c in cancels(timed_out)] == [("a", 1)]
    assert run.run.steps["a"].status is S.RETRY_WAIT
    retried = run.tick(run.run.steps["a"].retry_at_ms or 0)
    assert [(r.step, r.attempt) for r in requests(retried)] == [("a", 2)]
    assert not cancels(retried)
