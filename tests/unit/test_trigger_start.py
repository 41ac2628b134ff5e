"""Where an event trigger starts (``from``): the pure bounds, property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from podium.pipelines import EventTrigger, Pipeline
from podium.registry import RegisteredPipeline
from podium.triggers import EventSource, plan_event_runs, trigger_lines
from podium.triggers._start import TriggerKey, first_published, takes, topic_start, trigger_bound

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
starts = st.one_of(st.just("end"), st.just("beginning"), times)


def pipeline(version: int = 1, *triggers: EventTrigger, name: str = "p") -> Pipeline:
    steps = [{"name": "a", "service": "s"}]
    return Pipeline(name=name, version=version, steps=steps, triggers=triggers)  # type: ignore[arg-type]


def trigger(start: object = "end", topic: str = "files") -> EventTrigger:
    return EventTrigger.model_validate({"topic": topic, "from": start})


def source(stamped_at: datetime | None, topic: str = "files") -> EventSource:
    fields = {"uri": "file:///a.csv", "size_bytes": 1, "checksum": None, "landed_at": None}
    return EventSource(topic, 0, 7, "podium.v1.FileLanded", fields, stamped_at)


def test_from_end_is_the_first_publish_of_that_trigger_not_of_the_latest_version() -> None:
    v1 = RegisteredPipeline(pipeline(1, trigger()), "h1", T0)
    v2 = RegisteredPipeline(pipeline(2, trigger()), "h2", T0 + timedelta(days=3))
    published = first_published([v2, v1])
    latest = v2.pipeline
    # publishing v2 loses nothing that landed between v1's publish and v2's
    assert trigger_bound(latest, latest.triggers[0], published) == T0  # type: ignore[arg-type]


def test_a_trigger_new_in_a_version_starts_at_that_versions_publish() -> None:
    v1 = RegisteredPipeline(pipeline(1, trigger(topic="old")), "h1", T0)
    v2 = RegisteredPipeline(pipeline(2, trigger(topic="new")), "h2", T0 + timedelta(hours=1))
    published = first_published([v1, v2])
    assert published[TriggerKey("p", "new", "FileLanded")] == T0 + timedelta(hours=1)


@given(start=starts, published=times, stamped=times)
def test_an_event_counts_exactly_when_it_is_inside_its_triggers_bound(
    start: object, published: datetime, stamped: datetime
) -> None:
    p = pipeline(1, trigger(start))
    known = {TriggerKey("p", "files", "FileLanded"): published}
    plan = plan_event_runs([p], source(stamped), T0, known)
    if start == "beginning":
        expected = True
    else:
        bound = published if start == "end" else start
        assert isinstance(bound, datetime)
        expected = stamped >= bound.replace(microsecond=bound.microsecond // 1000 * 1000)
    assert (len(plan.runs), plan.too_old) == ((1, 0) if expected else (0, 1))


@given(published=times)
def test_an_event_in_the_same_millisecond_as_the_publish_counts(published: datetime) -> None:
    stamped = published.replace(microsecond=published.microsecond // 1000 * 1000)
    p = pipeline(1, trigger())
    known = {TriggerKey("p", "files", "FileLanded"): published}
    assert len(plan_event_runs([p], source(stamped), T0, known).runs) == 1


@given(bounds=st.lists(starts, min_size=1, max_size=5), published=times)
def test_a_new_partition_starts_at_the_earliest_bound_of_its_topics_triggers(
    bounds: list[object], published: datetime
) -> None:
    pipelines = [pipeline(1, trigger(b), name=f"p{i}") for i, b in enumerate(bounds)]
    known = {TriggerKey(f"p{i}", "files", "FileLanded"): published for i in range(len(bounds))}
    start = topic_start(pipelines, "files", known)
    each = [trigger_bound(p, p.triggers[0], known) for p in pipelines]  # type: ignore[arg-type]
    if None in each:
        assert start is None
    else:
        assert start == min(b for b in each if b is not None)
        # every trigger on the topic sees every event it would take
        assert all(start <= b for b in each if b is not None)


def test_triggers_on_other_topics_do_not_move_the_start() -> None:
    pipelines = [pipeline(1, trigger("beginning", topic="elsewhere"), trigger(T0))]
    assert topic_start(pipelines, "files", {}) == T0


def test_unknown_stamps_and_unknown_publishes_take_the_event() -> None:
    assert takes(T0, None) and takes(None, T0)
    p = pipeline(1, trigger())
    assert len(plan_event_runs([p], source(T0 - timedelta(days=999)), T0, {}).runs) == 1


def test_validate_says_where_each_trigger_starts() -> None:
    p = pipeline(1, trigger(), trigger("beginning"), trigger("2026-01-01T00:00:00Z"))
    assert trigger_lines(p) == [
        "trigger: FileLanded on files, from end: events published after the trigger is "
        "first applied",
        "trigger: FileLanded on files, from beginning: replays the topic's whole history",
        "trigger: FileLanded on files, from 2026-01-01T00:00:00+00:00: replays events "
        "stamped at or after it",
    ]


@given(bad=st.one_of(st.just("yesterday"), st.just("2026-01-01T00:00:00"), st.integers()))
def test_a_from_that_is_neither_gets_one_clear_error(bad: object) -> None:
    with pytest.raises(ValidationError) as error:
        trigger(bad)
    [only] = error.value.errors()
    assert "a timestamp with its zone" in only["msg"]
