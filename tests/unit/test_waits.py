"""The waiter's pure core: pairing waits with events (property-tested), what a request
waits for, which events are for it, the results, and what validation says of waiting steps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.contract import Signal, StepCompleted, StepFailed, StepRequested
from podium.pipelines import EventFormat, Pipeline, validate_pipeline
from podium.triggers import EventSource
from podium.waits._book import WaitBook
from podium.waits._decide import (
    NoCorrelationValue,
    arrivals_of,
    fits,
    outcome,
    signal_arrival,
    timed_out_decision,
    wait_of,
)
from podium.waits._model import Arrival, Wait, from_message, to_message

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NOW_MS = round(NOW.timestamp() * 1000)


def wait(key: str = "k", attempt: int = 1, run: str = "r1", **more: Any) -> Wait:
    fields: dict[str, Any] = {
        "run_id": run, "step": "s", "attempt": attempt, "pipeline": "p", "version": "1",
        "topic": "t", "rule": "field:id", "value": key, "deadline_ms": NOW_MS + 60_000,
        "requested_ms": NOW_MS, **more,
    }  # fmt: skip
    return Wait(**fields)


def arrival(key: str = "k", origin: str = "t/0/1", **more: Any) -> Arrival:
    fields: dict[str, Any] = {
        "topic": "t", "rule": "field:id", "value": key, "origin": origin, "fields": {"id": key},
        "headers": {}, "type_name": None, "stamped_ms": NOW_MS, "expires_ms": NOW_MS + 3_600_000,
        **more,
    }  # fmt: skip
    return Arrival(**fields)


def book() -> WaitBook:
    return WaitBook(lambda w, a: True)


# -- the book ------------------------------------------------------------------------------

Step = tuple[str, str, int]  # ("wait" | "event", key, n)
STEPS = st.lists(
    st.tuples(st.sampled_from(["wait", "event"]), st.sampled_from(["a", "b"]), st.integers(0, 3)),
    max_size=30,
)


@given(STEPS)
def test_every_attempt_is_paired_at_most_once_whatever_the_order(steps: list[Step]) -> None:
    waiting, paired = book(), []
    for kind, key, n in steps:
        if kind == "wait":
            paired += waiting.add_wait(wait(key, attempt=n + 1, run=f"run-{key}"), NOW_MS)
        else:
            paired += waiting.add_arrival(arrival(key, origin=f"t/0/{n}"), NOW_MS)
    attempts = [p.wait.attempt_id for p in paired]
    assert len(attempts) == len(set(attempts))
    assert all(p.wait.key == p.arrival.key for p in paired)


@given(STEPS)
def test_a_wait_and_an_event_of_one_key_meet_in_either_order(steps: list[Step]) -> None:
    """Whatever came before, a new attempt and a new event of its key end up paired."""
    waiting = book()
    for kind, key, n in steps:
        if kind == "wait":
            waiting.add_wait(wait(key, attempt=n + 1, run="other"), NOW_MS)
        else:
            waiting.add_arrival(arrival(key, origin=f"t/0/{n}"), NOW_MS)
    first, second = waiting.add_wait(wait("a", run="mine"), NOW_MS), []
    if not first:  # no event of "a" was kept yet: the next one is for it
        second = waiting.add_arrival(arrival("a", origin="t/1/99"), NOW_MS)
    mine = [p for p in first + second if p.wait.run_id == "mine"]
    assert len(mine) == 1


def test_an_event_read_twice_completes_nothing_more() -> None:
    waiting = book()
    waiting.add_wait(wait(attempt=1), NOW_MS)
    assert len(waiting.add_arrival(arrival(), NOW_MS)) == 1
    waiting.add_wait(wait(attempt=2), NOW_MS)  # a later attempt takes the kept event
    assert waiting.add_arrival(arrival(), NOW_MS) == []  # the same event again: nothing


def test_a_redelivered_wait_stays_closed() -> None:
    waiting = book()
    waiting.add_arrival(arrival(), NOW_MS)
    assert len(waiting.add_wait(wait(), NOW_MS)) == 1
    assert waiting.add_wait(wait(), NOW_MS) == []


def test_an_event_past_its_keep_ends_no_wait_that_began_later() -> None:
    waiting = book()
    old = arrival(stamped_ms=NOW_MS - 7_200_000, expires_ms=NOW_MS - 3_600_000)
    waiting.add_arrival(old, NOW_MS - 7_000_000)
    assert waiting.add_wait(wait(), NOW_MS) == []


def test_expiry_closes_late_waits_and_drops_old_events() -> None:
    waiting = book()
    waiting.add_wait(wait("w", deadline_ms=NOW_MS + 10), NOW_MS)
    waiting.add_arrival(arrival("e", expires_ms=NOW_MS + 10), NOW_MS)
    late, old = waiting.expire(NOW_MS + 11)
    assert [w.value for w in late] == ["w"] and [a.value for a in old] == ["e"]
    assert waiting.waits == {} and waiting.arrivals == {}


def test_what_does_not_fit_the_step_does_not_pair() -> None:
    waiting = WaitBook(lambda w, a: a.fields.get("ok") is True)
    waiting.add_wait(wait(), NOW_MS)
    assert waiting.add_arrival(arrival(fields={"id": "k"}), NOW_MS) == []
    assert len(waiting.add_arrival(arrival(origin="t/0/2", fields={"ok": True}), NOW_MS)) == 1


def test_messages_round_trip() -> None:
    for item in (wait(trace={"traceparent": "00-x"}), arrival()):
        assert from_message(json.loads(json.dumps(to_message(item)))) == item
    with pytest.raises(ValueError):
        from_message({"type": "nope"})


# -- decisions --------------------------------------------------------------------------------

ORDERS = Pipeline.model_validate(
    {
        "name": "orders",
        "version": 1,
        "params": {"order_id": {}},
        "steps": [
            {"name": "ship", "service": "shipping"},
            {"name": "delivered", "kind": "event", "after": ["ship"], "event": {
                "topic": "deliveries", "match": {"type": "delivered"},
                "fails_on": {"status": "lost"},
                "correlate": {"field": "order.id", "equals": "params.order_id"}}},
            {"name": "by-parcel", "kind": "event", "after": ["ship"], "event": {
                "topic": "deliveries", "correlate": {"field": "parcel",
                                                     "equals": "steps.ship.output.parcel"}}},
            {"name": "gate", "kind": "approval", "approval": {"on_timeout": "reject"}},
            {"name": "go", "kind": "signal", "signal": "go-now"},
        ],
    }
)  # fmt: skip


def request(step: str, params: dict[str, Any] | None = None, upstream: Any = None) -> StepRequested:
    envelope = {"input": {}, "upstream": upstream or {}}
    return StepRequested(
        run_id="r1", step=step, attempt=1, pipeline="orders", pipeline_version="1",
        input_json=json.dumps(envelope), params_json=json.dumps(params or {}),
        deadline=NOW + timedelta(minutes=5), requested_at=NOW,
    )  # fmt: skip


def test_a_wait_is_keyed_by_the_param_or_upstream_output_it_names() -> None:
    by_param = wait_of(ORDERS.step("delivered"), request("delivered", {"order_id": 42}), "sig", {})
    assert (by_param.topic, by_param.rule, by_param.value) == ("deliveries", "field:order.id", "42")
    upstream = {"ship": {"parcel": "P-1"}}
    by_output = wait_of(ORDERS.step("by-parcel"), request("by-parcel", upstream=upstream), "s", {})
    assert by_output.value == "P-1"
    signal = wait_of(ORDERS.step("go"), request("go"), "podium.signals", {})
    assert (signal.topic, signal.value) == ("podium.signals", "r1\ngo-now")
    assert wait_of(ORDERS.step("gate"), request("gate"), "s", {}).value == "r1\napproval:gate"


def test_a_missing_correlation_value_says_which() -> None:
    with pytest.raises(NoCorrelationValue, match=r"params\.order_id"):
        wait_of(ORDERS.step("delivered"), request("delivered", {}), "sig", {})


def source(fields: dict[str, Any], offset: int = 1) -> EventSource:
    return EventSource("deliveries", 0, offset, None, fields, format=EventFormat.JSON)


def test_an_event_becomes_one_arrival_per_rule_that_may_take_it() -> None:
    waits = [ORDERS.step("delivered").event, ORDERS.step("by-parcel").event]
    both = {"type": "delivered", "order": {"id": "42"}, "parcel": "P-1"}
    arrivals = arrivals_of([w for w in waits if w], source(both), NOW_MS)
    assert sorted((a.rule, a.value) for a in arrivals) == [
        ("field:order.id", "42"),
        ("field:parcel", "P-1"),
    ]
    assert arrivals[0].expires_ms == NOW_MS + 3_600_000  # keep: 1 h by default


def test_an_event_no_waiting_step_takes_is_not_an_arrival() -> None:
    wait_ = ORDERS.step("delivered").event
    assert wait_ is not None
    assert arrivals_of([wait_], source({"type": "shipped", "order": {"id": "42"}}), NOW_MS) == []
    lost = source({"type": "lost-parcel", "status": "lost", "order": {"id": "42"}})
    assert len(arrivals_of([wait_], lost, NOW_MS)) == 1  # fails_on stands beside match


def test_outcomes_of_events_approvals_and_signals() -> None:
    step = ORDERS.step("delivered")
    w = wait_of(step, request("delivered", {"order_id": "42"}), "sig", {})
    ok = outcome(
        step,
        w,
        arrivals_of([step.event], source({"type": "delivered", "order": {"id": "42"}}), NOW_MS)[0],
        NOW,
    )  # type: ignore[list-item]
    assert isinstance(ok, StepCompleted) and ok.output()["order"] == {"id": "42"}
    lost_fields = {"type": "delivered", "status": "lost", "order": {"id": "42"}}
    lost = outcome(step, w, arrivals_of([step.event], source(lost_fields), NOW_MS)[0], NOW)  # type: ignore[list-item]
    assert isinstance(lost, StepFailed) and lost.error_type == "EventFailed" and not lost.retryable
    assert json.loads(lost.details_json or "{}")["status"] == "lost"


def decision(approve: bool, comment: str = "") -> Arrival:
    payload = {"decision": "approve" if approve else "reject", "comment": comment}
    signal = Signal(run_id="r1", name="approval:gate", payload_json=json.dumps(payload),
                    sent_by="ann", sent_at=NOW)  # fmt: skip
    return signal_arrival(signal, EventSource("sig", 0, 3, None, {}), 1000)


def test_an_approval_records_who_and_why_and_a_rejection_fails() -> None:
    step = ORDERS.step("gate")
    w = wait_of(step, request("gate"), "sig", {})
    approved = outcome(step, w, decision(True, "ok"), NOW)
    assert isinstance(approved, StepCompleted)
    assert approved.output() == {"decision": "approved", "by": "ann", "comment": "ok",
                                 "at": NOW.isoformat()}  # fmt: skip
    rejected = outcome(step, w, decision(False, "too risky"), NOW)
    assert isinstance(rejected, StepFailed)
    assert rejected.error_message == "rejected by ann: too risky" and not rejected.retryable


def test_an_undecided_approval_takes_its_declared_default() -> None:
    gate = ORDERS.step("gate")
    w = wait_of(gate, request("gate"), "sig", {})
    assert isinstance(timed_out_decision(gate, w, NOW), StepFailed)  # on_timeout: reject
    plain = Pipeline.model_validate(
        {"name": "x", "version": 1, "steps": [{"name": "g", "kind": "approval"}]}
    ).step("g")
    assert timed_out_decision(plain, w, NOW) is None  # fail: the step times out as any step


def test_a_signal_step_outputs_the_payload_and_fits_any_signal_of_its_name() -> None:
    step = ORDERS.step("go")
    w = wait_of(step, request("go"), "sig", {})
    sent = Signal(run_id="r1", name="go-now", payload_json='{"n": 1}', sent_at=NOW)
    arrived = signal_arrival(sent, EventSource("sig", 0, 1, None, {}), 1000)
    assert arrived.key == w.key and fits(step, w, arrived)
    done = outcome(step, w, arrived, NOW)
    assert isinstance(done, StepCompleted) and done.output() == {"n": 1}


# -- validation -------------------------------------------------------------------------------


def event_step(correlate: dict[str, Any]) -> dict[str, Any]:
    return {"name": "w", "kind": "event", "event": {"topic": "t", "correlate": correlate}}


def problems(*steps: dict[str, Any]) -> list[str]:
    pipeline = Pipeline.model_validate({"name": "p", "version": 1, "steps": list(steps)})
    return [f"{p.location}: {p.message}" for p in validate_pipeline(pipeline)]


@pytest.mark.parametrize(
    ("step", "says"),
    [
        ({"name": "w", "kind": "event"}, "name the event"),
        ({"name": "w", "service": "waits"}, "Podium's waiter"),
        ({"name": "w", "kind": "signal", "service": "mine"}, "names no service"),
        ({"name": "w", "service": "s", "signal": "x"}, "belongs to kind: signal"),
        (event_step({"field": "a", "header": "b"}), "one header or one field"),
        (event_step({"field": "a", "equals": "steps.x.output.id"}), "'x' is not in after"),
        ({"name": "w", "kind": "event", "event": {"topic": "t", "format": "avro"}}, "name the"),
    ],
)  # fmt: skip
def test_validation_says_what_a_waiting_step_needs(step: dict[str, Any], says: str) -> None:
    assert any(says in problem for problem in problems(step)), problems(step)


def test_a_waiting_step_is_tried_once_by_default_and_valid() -> None:
    step = ORDERS.step("delivered")
    assert step.retry.max_attempts == 1 and step.request_topic == "podium.steps.waits"
    assert validate_pipeline(ORDERS) == []


def test_a_bad_reference_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="run_id, params"):
        Pipeline.model_validate(
            {"name": "p", "version": 1, "steps": [{"name": "w", "kind": "event",
             "event": {"topic": "t", "correlate": {"field": "a", "equals": "order_id"}}}]}
        )  # fmt: skip
