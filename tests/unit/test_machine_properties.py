"""Invariants of the coordinator's state machine over random DAG pipelines and random,
messy event sequences: duplicates, stale attempts, reorderings, late events, timers,
admission under ``max_active_runs``, trigger rules (checked against a reference model
of each rule, and of the rule before rules existed for the default), pauses, resumes and
re-runs (nothing requested while paused, a re-run keeps what it does not reset)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

from hypothesis import event as note_stat
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from podium.contract import RunStatus, StepStatus, compensated_step
from podium.coordinator import RunState
from podium.coordinator.core import (
    Admitted,
    CancelRun,
    Decision,
    EmitRunEvent,
    Event,
    PauseRun,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    ResumeRun,
    RetryRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
    WakeAt,
    decide,
    next_wake_ms,
)
from podium.pipelines import OnFailure, Pipeline, TriggerRule
from tests.unit.test_machine_support import (
    Driver,
    check_decision,
    make_pipeline,
    requests,
    run_events,
)

DONE = (StepStatus.SUCCEEDED, StepStatus.SKIPPED)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


RULES = st.sampled_from([None, None, None, *TriggerRule])  # None: the default, unwritten


@st.composite
def pipelines(draw: st.DrawFn, *, rules: bool = True, reads_missing: bool = True) -> Pipeline:
    """A random DAG: each step may depend on any earlier one. ``reads_missing``: conditions
    may read a dependency's output field without ``default`` (which fails the step when the
    dependency was skipped or failed)."""
    count = draw(st.integers(1, 6))
    names = [f"s{i}" for i in range(count)]
    steps = (
        draw(_step(name, names[:i], rules=rules, reads_missing=reads_missing))
        for i, name in enumerate(names)
    )
    return make_pipeline(*steps, max_active_runs=draw(st.none() | st.integers(1, 3)))


@st.composite
def _step(
    draw: st.DrawFn, name: str, earlier: list[str], *, rules: bool, reads_missing: bool
) -> dict[str, Any]:
    after = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
    conditions = [f"params.{name} == true"]
    conditions += [f"default(steps.{d}.output.ok, false) == true" for d in after]
    if reads_missing:
        conditions += [f"steps.{d}.output.ok == true" for d in after]
    rule = draw(RULES) if rules else None
    return {
        "name": name,
        "service": "svc",
        "after": after,
        **({"trigger_rule": rule} if rule is not None else {}),
        "when": draw(st.none() | st.sampled_from(conditions)),
        "timeout": draw(st.integers(1, 20)),
        "retry": {
            "max_attempts": draw(st.integers(1, 3)),
            "initial_backoff": draw(st.sampled_from([0, 0.5, 2])),
            "jitter": draw(st.sampled_from([0, 0.3])),
        },
        "on_failure": draw(st.sampled_from(list(OnFailure))),
        "compensation": draw(st.none() | st.just({"service": "undo", "timeout": 5})),
    }


def params_for(pipeline: Pipeline, data: st.DataObject) -> dict[str, bool]:
    return {s.name: data.draw(st.booleans(), label=f"params.{s.name}") for s in pipeline.steps}


# --- the checker -----------------------------------------------------------------------------


class Checker:
    """Feeds events through a Driver and checks every invariant on every decision."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.driver = Driver(pipeline)
        self.pipeline = pipeline
        self.sent: list[Event] = []
        self.requests: list[RequestStep] = []
        self.terminal_events = 0
        self.releases = 0
        self.reruns = 0

    def send(self, event: Event, at_ms: int | None = None) -> Decision:
        before = self.driver.state
        decision = self.driver.send(event, at_ms)
        self.sent.append(event)
        assert decide(before, event, self.pipeline, self.driver.now_ms) == decision  # pure
        self._check(before, event, decision)
        return decision

    def _check(self, before: RunState | None, event: Event, decision: Decision) -> None:
        after = decision.state
        if after is None:
            return
        self._check_rerun(before, after, event, decision)
        self._check_paused(before, after, event, decision)
        self._check_requests(after, decision)
        self._check_rules(before, after, decision)
        self._check_admission(after, decision)
        self._check_terminal(before, after, decision)
        self._check_finished_steps_stay(before, after)
        self._check_duplicate(after, event)
        assert RunState.from_dict(json.loads(json.dumps(after.to_dict()))) == after
        active = [n for n, s in after.steps.items() if compensated_step(n) and s.status.is_active]
        assert len(active) <= 1

    def _check_requests(self, after: RunState, decision: Decision) -> None:
        for request in requests(decision):
            self._check_ready(after, request)
            previous = [r.attempt for r in self.requests if r.step == request.step]
            assert all(request.attempt > p for p in previous)
            policy = self.pipeline.step(compensated_step(request.step) or request.step).retry
            tries = request.attempt - after.steps[request.step].attempt_base
            assert 1 <= tries <= policy.max_attempts
            self.requests.append(request)

    def _check_admission(self, after: RunState, decision: Decision) -> None:
        """Queued runs start nothing; a capped run releases its slot exactly once, at its end;
        an uncapped run never talks to admission."""
        commands = decision.commands
        asks = [c for c in commands if isinstance(c, RequestAdmission)]
        self.releases += sum(isinstance(c, ReleaseAdmission) for c in commands)
        if after.status is RunStatus.QUEUED:
            assert requests(decision) == []
            assert not any(s.status.is_active for s in after.steps.values())
            if not after.reruns:  # a re-run queues again with the steps it kept
                assert all(s.status is StepStatus.PENDING for s in after.steps.values())
        if self.pipeline.max_active_runs is None:
            assert asks == [] and self.releases == 0
            return
        assert len(asks) <= 1 and (asks == [] or after.status is RunStatus.QUEUED)
        assert self.releases == self.reruns + (1 if after.status.is_terminal else 0)

    def _check_ready(self, after: RunState, request: RequestStep) -> None:
        original = compensated_step(request.step)
        if original is not None:
            assert after.status is RunStatus.COMPENSATING
            assert after.compensation_queue[0] == original
            assert after.steps[original].status is StepStatus.SUCCEEDED
            return
        assert reference_verdict(self.pipeline, after, request.step) == "start", request.step

    def _check_rules(self, before: RunState | None, after: RunState, decision: Decision) -> None:
        """Replaying the decision's step events in order: a step leaves ``pending`` only when
        its rule has a verdict (skipped by its rule only when it can never be met), and a
        running run leaves no pending step whose rule has one."""
        statuses = {n: s.status for n, s in (before or after).steps.items()} if before else {}
        for event in run_events(decision):
            if event.step is None or event.step not in statuses:
                continue
            moved = event.step_status is not StepStatus.CANCELLED  # the run ends: no rule
            if statuses[event.step] is StepStatus.PENDING and moved:
                _check_departure(self.pipeline, statuses, event)
            statuses[event.step] = event.step_status
        if after.status is RunStatus.RUNNING:
            for name, step in after.steps.items():
                if step.status is StepStatus.PENDING:
                    assert reference_verdict(self.pipeline, after, name) == "wait", name

    def _check_terminal(self, before: RunState | None, after: RunState, d: Decision) -> None:
        ends = [e for e in d.commands if isinstance(e, EmitRunEvent) and _ends_run(e)]
        self.terminal_events += len(ends)
        assert self.terminal_events == self.reruns + (1 if after.status.is_terminal else 0)
        if before is not None and before.status.is_terminal and not _reran(d):
            assert d.ignored is not None and _core(after) == _core(before)
        if after.status.is_terminal:
            assert d.commands[-1] == WakeAt(after.run_id, None)
            assert all(s.status.is_finished for s in after.steps.values())

    def _check_finished_steps_stay(self, before: RunState | None, after: RunState) -> None:
        """Only a re-run sets a finished step back (checked in ``_check_rerun``), and, after
        one, a compensation that ran in an earlier try is asked again when the run
        compensates anew: the attempt after its last, counted anew from it."""
        if before is not None and len(after.reruns) > len(before.reruns):
            return
        for name, old in (before.steps if before else {}).items():
            new = after.steps[name]
            if old.status.is_finished and new != old:
                assert compensated_step(name) and after.reruns, name
                assert after.status is RunStatus.COMPENSATING and new.status.is_active, name
                assert (new.attempt, new.attempt_base) == (old.attempt + 1, old.attempt), name
                if currently_in_test_context():  # the example test below runs outside one
                    note_stat("re-run asked a compensation again")

    def _check_rerun(
        self, before: RunState | None, after: RunState, event: Event, d: Decision
    ) -> None:
        """A re-run applies to a finished run only, once per request, and resets exactly the
        steps it records: the rest keep their state (and output) as they were."""
        if not _reran(d):
            assert before is None or after.reruns == before.reruns
            return
        assert isinstance(event, RetryRun) and before is not None and before.status.is_terminal
        self.reruns += 1
        [record] = after.reruns[len(before.reruns) :]
        assert record.number == self.reruns and record.from_step == event.from_step
        if event.from_step is not None:
            assert event.from_step in record.steps
        for step in self.pipeline.steps:
            old, new = before.steps[step.name], after.steps[step.name]
            if step.name not in record.steps:
                assert new == old and old.status in DONE, step.name
            else:
                assert new.attempt >= old.attempt and new.attempt_base == old.attempt
                if any(dep in record.steps for dep in step.after):
                    note_stat("re-run reset a dependant")
            for dep in step.after:  # everything after a reset step is reset too
                if dep in record.steps:
                    assert step.name in record.steps, (dep, step.name)

    def _check_paused(
        self, before: RunState | None, after: RunState, event: Event, d: Decision
    ) -> None:
        """Nothing is requested while a run is paused: not by the pause, not by results or
        timers that come while it lasts; only the resume (or a re-run) requests again."""
        if after.status is RunStatus.PAUSED:
            assert requests(d) == []
        if before is not None and before.status is RunStatus.PAUSED and requests(d):
            assert isinstance(event, ResumeRun), event
        if after.status is RunStatus.PAUSED and before is not None:
            note_stat(f"paused run got {type(event).__name__}")

    def _check_duplicate(self, after: RunState, event: Event) -> None:
        """Delivering the same event again, at the same time, changes nothing."""
        again = decide(after, event, self.pipeline, self.driver.now_ms)
        check_decision(again, after.run_id)
        assert again.state is not None and _core(again.state) == _core(after)
        if again.ignored is None:
            assert again.commands == (WakeAt(after.run_id, next_wake_ms(after)),)


def is_done(pipeline: Pipeline, statuses: dict[str, StepStatus], name: str) -> bool:
    """The rule before trigger rules existed: a dependency counts as done when it succeeded,
    was skipped, or failed under ``on_failure: continue``."""
    status = statuses[name]
    continued = pipeline.step(name).on_failure is OnFailure.CONTINUE
    return status in DONE or (status is StepStatus.FAILED and continued)


def reference_verdict(pipeline: Pipeline, state: RunState, name: str) -> str:
    return verdict_of(pipeline, {n: s.status for n, s in state.steps.items()}, name)


def verdict_of(pipeline: Pipeline, statuses: dict[str, StepStatus], name: str) -> str:
    """ "start", "never" or "wait": each rule written out as its documentation says it."""
    step = pipeline.step(name)
    if step.trigger_rule is TriggerRule.ALL_DONE:  # the default: today's rule, exactly
        return "start" if all(is_done(pipeline, statuses, d) for d in step.after) else "wait"
    deps = [statuses[dep] for dep in step.after]
    finished = all(status.is_finished for status in deps)
    ok, failed, skipped = (sum(s is x for s in deps) for x in (_OK, _FAILED, _SKIPPED))
    unlike = {
        TriggerRule.ALL_SUCCESS: len(deps) - ok,
        TriggerRule.ALL_FAILED: len(deps) - failed,
        TriggerRule.NONE_FAILED: failed,
        TriggerRule.NONE_SKIPPED: skipped,
    }
    if not deps:
        return "start"
    if step.trigger_rule in unlike:
        pending = sum(not s.is_finished for s in deps)
        never = (
            unlike[step.trigger_rule] - pending > 0
            if step.trigger_rule in (TriggerRule.ALL_SUCCESS, TriggerRule.ALL_FAILED)
            else unlike[step.trigger_rule] > 0
        )
        return "never" if never else "start" if finished else "wait"
    wanted = ok if step.trigger_rule is TriggerRule.ONE_SUCCESS else failed
    return "start" if wanted else "never" if finished else "wait"


def _check_departure(
    pipeline: Pipeline, statuses: dict[str, StepStatus], event: EmitRunEvent
) -> None:
    """A pending step moved on: its rule (judged on the statuses just before) let it."""
    said = verdict_of(pipeline, statuses, event.step or "")
    by_rule = event.step_status is StepStatus.SKIPPED and "trigger_rule" in event.detail
    assert said == ("never" if by_rule else "start"), (event.step, said, event.detail)
    if by_rule:
        assert str(pipeline.step(event.step or "").trigger_rule) in str(event.detail["reason"])
        note_stat(f"skipped by {event.detail['trigger_rule']}")


_OK, _FAILED, _SKIPPED = StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED


def _reran(decision: Decision) -> bool:
    return any(e.step is None and "rerun" in e.detail for e in run_events(decision))


def _ends_run(event: EmitRunEvent) -> bool:
    return event.step is None and event.run_status.is_terminal


def _core(state: RunState) -> RunState:
    return replace(state, ignored={})


# --- random actions --------------------------------------------------------------------------


ACTIONS = ["succeed", "fail", "heartbeat", "tick", "replay", "bogus", "cancel", "admit"]
ACTIONS += ["pause", "resume", "pause", "resume", "retry"]


def random_event(checker: Checker, data: st.DataObject) -> tuple[Event, int]:
    """Any event a real, messy deployment could deliver next, and the time it arrives."""
    driver = checker.driver
    weights = ["succeed"] * 6 + ["fail"] * 3 + ["tick"] * 3 + ACTIONS
    action = data.draw(st.sampled_from(weights), label="action")
    now = driver.now_ms + data.draw(st.integers(0, 3_000), label="delay")
    if action == "tick":
        wake = next_wake_ms(driver.run) or now
        return TimerFired(driver.run_id), data.draw(st.sampled_from([now, max(now, wake)]))
    if action == "replay" and checker.sent:
        return data.draw(st.sampled_from(checker.sent), label="replayed"), now
    if action == "cancel":
        return CancelRun(driver.run_id, "test"), now
    if action == "admit":
        return Admitted(driver.run_id), now
    if action == "pause":
        return PauseRun(driver.run_id, "ann", requested_at_ms=now), now
    if action == "resume":
        return ResumeRun(driver.run_id, "ann", requested_at_ms=now), now
    if action == "retry":
        names = st.sampled_from([s.name for s in driver.pipeline.steps])
        from_step = data.draw(st.none() | names, label="from")
        return RetryRun(driver.run_id, from_step, requested_at_ms=now), now
    if action == "bogus" or not checker.requests:
        return StepSucceeded(driver.run_id, "nope", 1), now
    request = data.draw(st.sampled_from(checker.requests), label="answering")
    return _answer(action, request, data), now


def _answer(action: str, request: RequestStep, data: st.DataObject) -> Event:
    run_id, step, attempt = request.run_id, request.step, request.attempt
    if action == "fail":
        retryable = data.draw(st.booleans(), label="retryable")
        return StepFailedEvent(run_id, step, attempt, "Boom", "it broke", retryable)
    if action == "heartbeat":
        return StepHeartbeatEvent(run_id, step, attempt)
    return StepSucceeded(run_id, step, attempt, {"ok": data.draw(st.booleans(), label="ok")})


def settle(checker: Checker, data: st.DataObject) -> None:
    """Keep answering current attempts and firing timers: every run must end, and soon."""
    for _ in range(200):
        run = checker.driver.run
        if run.status.is_terminal:
            return
        if run.status is RunStatus.QUEUED:
            checker.send(Admitted(run.run_id))
            continue
        if run.status is RunStatus.PAUSED:
            now = checker.driver.now_ms + 1
            checker.send(ResumeRun(run.run_id, requested_at_ms=now), now)
            continue
        running = [(n, s.attempt) for n, s in run.steps.items() if s.status is StepStatus.RUNNING]
        if running:
            name, attempt = data.draw(st.sampled_from(running), label="settling")
            ok = data.draw(st.booleans(), label="settle-ok")
            event: Event = StepSucceeded(run.run_id, name, attempt, {"ok": True})
            if not ok:
                event = StepFailedEvent(run.run_id, name, attempt, "Boom", "again", True)
            checker.send(event)
        else:
            checker.send(TimerFired(run.run_id), next_wake_ms(run))
    raise AssertionError(f"run never ended: {checker.driver.run}")


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(pipeline=pipelines(), data=st.data())
def test_invariants_hold_under_messy_delivery(pipeline: Pipeline, data: st.DataObject) -> None:
    checker = Checker(pipeline)
    checker.send(checker.driver.start_event(params_for(pipeline, data)))
    for _ in range(data.draw(st.integers(0, 40), label="events")):
        event, at_ms = random_event(checker, data)
        checker.send(event, at_ms)
    settle(checker, data)
    assert checker.terminal_events == 1 + checker.reruns
    assert checker.releases == (0 if pipeline.max_active_runs is None else 1 + checker.reruns)
    note_stat(f"run ended {checker.driver.run.status}")
    for reason in checker.driver.run.ignored:
        note_stat(f"ignored {reason}")


@settings(max_examples=200, deadline=None)
@given(pipeline=pipelines(reads_missing=False), data=st.data())
def test_well_behaved_services_make_every_run_succeed(
    pipeline: Pipeline, data: st.DataObject
) -> None:
    """Services answer every request with success, in any order, sometimes twice."""
    checker = Checker(pipeline)
    outstanding = requests(checker.send(checker.driver.start_event(params_for(pipeline, data))))
    if pipeline.max_active_runs is not None:  # admitted, sometimes twice
        for _ in range(data.draw(st.integers(1, 2), label="admissions")):
            outstanding += requests(checker.send(Admitted(checker.driver.run_id)))
    while outstanding:
        request = outstanding.pop(data.draw(st.integers(0, len(outstanding) - 1), label="next"))
        output = {"ok": True, "data": data.draw(JSON, label="output")}
        answer = StepSucceeded(request.run_id, request.step, request.attempt, output)
        for _ in range(data.draw(st.integers(1, 2), label="copies")):
            outstanding += requests(checker.send(answer))
    run = checker.driver.run
    assert run.status is RunStatus.SUCCEEDED
    statuses = {name: step.status for name, step in run.steps.items()}
    assert set(statuses.values()) <= {StepStatus.SUCCEEDED, StepStatus.SKIPPED}
    counts = Counter(r.step for r in checker.requests)
    assert counts == Counter(n for n, s in statuses.items() if s is StepStatus.SUCCEEDED)
    assert all(r.attempt == 1 for r in checker.requests)


@settings(max_examples=200, deadline=None)
@given(pipeline=pipelines(reads_missing=False), data=st.data())
def test_a_rerun_of_a_finished_run_goes_on_and_well_behaved_services_finish_it(
    pipeline: Pipeline, data: st.DataObject
) -> None:
    """Any run, ended any way, then re-run (from its failures or from any step) and answered
    with success: it succeeds; the steps it did not reset were never asked again, and a
    result of an attempt from before the re-run changes nothing."""
    checker = Checker(pipeline)
    checker.send(checker.driver.start_event(params_for(pipeline, data)))
    for _ in range(data.draw(st.integers(0, 30), label="events")):
        event, at_ms = random_event(checker, data)
        checker.send(event, at_ms)
    settle(checker, data)
    before = checker.driver.run
    names = st.sampled_from([s.name for s in pipeline.steps])
    now = checker.driver.now_ms + 1
    from_step = data.draw(st.none() | names, label="from")
    retry = RetryRun(before.run_id, from_step, "ann", requested_at_ms=now)
    old_requests = list(checker.requests)
    decision = checker.send(retry, now)
    if decision.ignored is not None:
        assert decision.ignored == "nothing-to-retry"
        assert before.status is RunStatus.SUCCEEDED and retry.from_step is None
        return
    note_stat(f"re-ran a {before.status} run")
    [record] = checker.driver.run.reruns[-1:]
    for request in old_requests:  # late answers to the attempts before the re-run
        stale = StepSucceeded(request.run_id, request.step, request.attempt, {"ok": False})
        assert checker.send(stale).ignored is not None
    outstanding = requests(decision)
    if pipeline.max_active_runs is not None:
        outstanding += requests(checker.send(Admitted(before.run_id)))
    while outstanding:
        request = outstanding.pop(data.draw(st.integers(0, len(outstanding) - 1), label="next"))
        answer = StepSucceeded(request.run_id, request.step, request.attempt, {"ok": True})
        outstanding += requests(checker.send(answer))
    run = checker.driver.run
    assert run.status is RunStatus.SUCCEEDED, run
    asked_again = {r.step for r in checker.requests[len(old_requests) :]}
    assert asked_again <= set(record.steps)
    for step in pipeline.steps:
        if step.name not in record.steps:
            assert run.steps[step.name] == before.steps[step.name]


def test_a_compensation_that_failed_is_asked_again_when_the_rerun_compensates_again() -> None:
    """Found by hypothesis: s0's undo failed for good (the run FAILED), the run is re-run and
    s1 fails again; the second compensation asks s0's undo again, as the attempt after its
    last one, counted anew by its retry policy."""
    undo = {"service": "undo", "timeout": 5}
    pipeline = make_pipeline(
        {"name": "s0", "service": "svc", "compensation": undo},
        {"name": "s1", "service": "svc", "after": ["s0"], "on_failure": "compensate"},
    )
    checker = Checker(pipeline)
    checker.send(checker.driver.start_event())
    checker.send(StepSucceeded("run-1", "s0", 1, {"ok": True}))
    checker.send(StepFailedEvent("run-1", "s1", 1, "Boom", "it broke", False))
    [undo_request] = [r for r in checker.requests if compensated_step(r.step) == "s0"]
    checker.send(StepFailedEvent("run-1", undo_request.step, 1, "Boom", "undo broke", False))
    assert checker.driver.run.status is RunStatus.FAILED
    now = checker.driver.now_ms + 1
    checker.send(RetryRun("run-1", None, "ann", requested_at_ms=now), now)
    decision = checker.send(StepFailedEvent("run-1", "s1", 2, "Boom", "again", False))
    [again] = requests(decision)
    assert (again.step, again.attempt) == (undo_request.step, 2)
    assert checker.driver.run.steps[again.step].attempt_base == 1
    checker.send(StepSucceeded("run-1", again.step, 2))
    assert checker.driver.run.status is RunStatus.COMPENSATED
