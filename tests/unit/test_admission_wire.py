"""``max_active_runs`` between the wire and the pure cores, without Kafka: the admissions
topic's JSON, the "admitted" answer on the timers topic, and one run's whole admission
round trip through the coordinator's two handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from podium import contract as wire
from podium.codec import Codec
from podium.contract import header_value
from podium.coordinator import RunState
from podium.coordinator._admission_handle import (
    AdmissionHandler,
    AdmissionRequest,
    admission_input,
)
from podium.coordinator._handle import Handler, Rejected
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import (
    Outgoing,
    admission_message,
    admitted_value,
    timer_input,
    timer_value,
)
from podium.coordinator.core import (
    Admitted,
    Enqueue,
    Release,
    ReleaseAdmission,
    RequestAdmission,
    TimerFired,
)
from podium.pipelines import Pipeline
from podium.settings import TopicNames
from tests.unit.test_machine_support import make_pipeline, step

TOPICS = TopicNames()
NOW = datetime(2024, 5, 1, tzinfo=UTC)


# --- the timers topic carries timers and admissions ------------------------------------------


def test_the_timers_topic_carries_timers_and_admission_answers() -> None:
    assert timer_input(timer_value("r1", 5)) == TimerFired("r1")
    assert timer_input(b'{"kind": "timer", "run_id": "r1"}') == TimerFired("r1")
    assert timer_input(admitted_value("r1")) == Admitted("r1")
    with pytest.raises(ValueError, match="kind is 'timer' or 'admitted', not 'nap'"):
        timer_input(b'{"kind": "nap", "run_id": "r1"}')


# --- the admissions topic --------------------------------------------------------------------


def test_requests_and_releases_travel_keyed_by_pipeline_with_the_pinned_limit() -> None:
    enqueue = admission_message("adm", RequestAdmission("r1", "ingest", 2, 1_000), 3)
    release = admission_message("adm", ReleaseAdmission("r1", "ingest"), 3)
    for message in (enqueue, release):
        assert message.topic == "adm" and message.key == b"ingest"
        assert header_value(message.headers, "podium-run-id") == "r1"
    assert admission_input(enqueue.value) == AdmissionRequest("ingest", Enqueue("r1"), (3, None))
    assert admission_input(release.value) == AdmissionRequest("ingest", Release("r1"), (3, None))
    uncapped = admission_message("adm", ReleaseAdmission("r1", "ingest"), None)
    assert "limit" not in json.loads(uncapped.value or b"")  # no cap: a pause or a rate only
    assert admission_input(uncapped.value).limits == (None, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (b"not json", "Expecting value"),
        (b"[]", "a JSON object"),
        (b'{"kind": "admit", "run_id": "r", "pipeline": "p", "limit": 1}', "kind must be"),
        (b'{"kind": "enqueue", "pipeline": "p", "limit": 1}', "run_id must be"),
        (b'{"kind": "enqueue", "run_id": "r", "pipeline": "", "limit": 1}', "pipeline must be"),
        (b'{"kind": "enqueue", "run_id": "r", "pipeline": "p", "limit": 0}', "limit must be"),
        (b'{"kind": "enqueue", "run_id": "r", "pipeline": "p", "limit": true}', "limit must be"),
        (b'{"kind": "enqueue", "run_id": "r", "pipeline": "p", "rate": 3}', "rate must be"),
        (b'{"kind": "wake"}', "pipeline must be"),
    ],
)
def test_a_bad_admissions_message_is_a_dead_letter_naming_the_problem(
    value: bytes, problem: str
) -> None:
    with pytest.raises(Rejected, match=problem) as caught:
        AdmissionHandler(TOPICS.timers).handle(value, {})
    assert caught.value.reason == "decode"


def enqueue(run_id: str, limit: int = 1) -> bytes:
    value = admission_message("adm", RequestAdmission(run_id, "ingest", 1, None), limit).value
    assert value is not None
    return value


def release(run_id: str, limit: int = 1) -> bytes:
    value = admission_message("adm", ReleaseAdmission(run_id, "ingest"), limit).value
    assert value is not None
    return value


def test_the_admission_handler_keeps_one_queue_per_pipeline_in_its_table() -> None:
    handler, table = AdmissionHandler(TOPICS.timers), dict[str, bytes]()
    [first] = handler.handle(enqueue("a"), table)
    assert first == Outgoing(TOPICS.timers, b"a", admitted_value("a"), [("podium-run-id", b"a")])
    assert handler.handle(enqueue("b"), table) == []
    assert json.loads(table["ingest"]) == {"active": ["a"], "queue": ["b"], "limit": 1}
    assert [m.key for m in handler.handle(release("a"), table)] == [b"b"]
    assert handler.handle(release("b"), table) == [] and "ingest" not in table  # tombstone
    assert handler.counters["admission:admitted"] == 2


# --- one run through both handlers -----------------------------------------------------------


def capped_pipeline() -> Pipeline:
    return make_pipeline(step("a"), name="ingest", version=1, max_active_runs=1)


def coordinator_handler(pipeline: Pipeline) -> Handler:
    return Handler(Codec(), TOPICS, lambda name, version: pipeline, TimerIndex(), lambda: 100.0)


def run_requested(codec: Codec, run_id: str, priority: int = 0) -> bytes:
    trigger = wire.Trigger(source=wire.TriggerSource.API)
    event = wire.RunRequested(
        run_id=run_id, pipeline="ingest", trigger=trigger, requested_at=NOW, priority=priority
    )
    return codec.encode_event(event)


def by_topic(out: list[Outgoing]) -> dict[str, list[Outgoing]]:
    grouped: dict[str, list[Outgoing]] = {}
    for message in out:
        grouped.setdefault(message.topic, []).append(message)
    return grouped


def test_a_capped_run_waits_for_its_slot_then_runs_and_gives_it_back() -> None:
    pipeline = capped_pipeline()
    runs, admission = coordinator_handler(pipeline), AdmissionHandler(TOPICS.timers)
    codec, run_table, queues = runs.codec, dict[str, RunState](), dict[str, bytes]()
    started = by_topic(runs.handle(TOPICS.runs, run_requested(codec, "r1"), [], run_table))
    assert set(started) == {TOPICS.run_events, TOPICS.admissions}
    status = codec.decode_event(started[TOPICS.run_events][0].value, wire.RunStatusChanged)
    assert status.status is wire.RunStatus.QUEUED
    [answer] = admission.handle(started[TOPICS.admissions][0].value, queues)
    running = by_topic(runs.handle(answer.topic, answer.value, [], run_table))
    [request] = running[pipeline.step("a").request_topic]
    assert codec.decode_event(request.value, wire.StepRequested).step == "a"
    done = wire.StepCompleted(run_id="r1", step="a", attempt=1, completed_at=NOW)
    ended = by_topic(runs.handle(TOPICS.step_results, codec.encode_event(done), [], run_table))
    [freed] = ended[TOPICS.admissions]
    assert admission_input(freed.value) == AdmissionRequest("ingest", Release("r1"), (1, None))
    assert runs.handle(answer.topic, answer.value, [], run_table) == []
    assert runs.counters["ignored:run-finished"] == 1


def test_a_second_run_waits_until_the_first_releases_its_slot() -> None:
    runs, admission = coordinator_handler(capped_pipeline()), AdmissionHandler(TOPICS.timers)
    run_table, queues = dict[str, RunState](), dict[str, bytes]()
    answers = []
    for run_id in ("r1", "r2"):
        out = runs.handle(TOPICS.runs, run_requested(runs.codec, run_id), [], run_table)
        [ask] = by_topic(out)[TOPICS.admissions]
        answers += admission.handle(ask.value, queues)
    assert [a.key for a in answers] == [b"r1"]
    cancel = wire.RunCancelRequested(run_id="r1", requested_at=NOW)
    out = runs.handle(TOPICS.runs, runs.codec.encode_event(cancel), [], run_table)
    [freed] = by_topic(out)[TOPICS.admissions]
    assert [a.key for a in admission.handle(freed.value, queues)] == [b"r2"]


def test_a_runs_priority_reaches_the_queue_and_a_higher_one_is_admitted_first() -> None:
    runs, admission = coordinator_handler(capped_pipeline()), AdmissionHandler(TOPICS.timers)
    run_table, queues = dict[str, RunState](), dict[str, bytes]()
    asks = {}
    for run_id, priority in (("r1", 0), ("low", -3), ("high", 8)):
        out = runs.handle(TOPICS.runs, run_requested(runs.codec, run_id, priority), [], run_table)
        [asks[run_id]] = by_topic(out)[TOPICS.admissions]
        admission.handle(asks[run_id].value, queues)
    request = admission_input(asks["high"].value)
    assert request == AdmissionRequest("ingest", Enqueue("high", 8), (1, None))
    assert "priority" not in json.loads(asks["r1"].value or b"")  # 0 travels as before
    assert json.loads(queues["ingest"])["queue"] == ["high", "low"]
    assert run_table["high"].priority == 8
    cancel = wire.RunCancelRequested(run_id="r1", requested_at=NOW)
    out = runs.handle(TOPICS.runs, runs.codec.encode_event(cancel), [], run_table)
    [freed] = by_topic(out)[TOPICS.admissions]
    assert [a.key for a in admission.handle(freed.value, queues)] == [b"high"]


def test_an_enqueue_with_a_priority_that_is_not_an_int_is_a_dead_letter() -> None:
    value = b'{"kind": "enqueue", "run_id": "r", "pipeline": "p", "limit": 1, "priority": "hi"}'
    with pytest.raises(Rejected, match="priority must be an integer"):
        AdmissionHandler(TOPICS.timers).handle(value, {})
