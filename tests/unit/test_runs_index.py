"""The run table's order indexes and paging over them, against a sort-and-filter oracle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from podium.contract import RunStatus, RunStatusChanged, StepStatus
from podium.runs import ReadModel, RunView
from podium.runs._index import Key, RunTable, param_texts
from podium.runs._page import RunFilter, found_by, matches, page_runs

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PIPELINES = ("ingest", "report", "train")
STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED)
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@st.composite
def run_views(draw: st.DrawFn, run_id: str | None = None) -> RunView:
    created = at(draw(st.integers(0, 50)))  # small range: equal times are common
    status = draw(st.sampled_from(STATUSES))
    finished = created + timedelta(seconds=draw(st.integers(0, 30))) if status in FINISHED else None
    return RunView(
        run_id=run_id or draw(st.sampled_from([f"r{i}" for i in range(30)])),
        pipeline=draw(st.sampled_from(PIPELINES)),
        version=1,
        status=status,
        params={"n": draw(st.integers(0, 3)), "who": draw(st.sampled_from(["ann", "bo"]))},
        created_at=created,
        updated_at=finished or created,
        finished_at=finished,
    )


filters = st.builds(
    RunFilter,
    pipeline=st.none() | st.sampled_from(PIPELINES),
    status=st.none() | st.sampled_from(STATUSES),
    since=st.none() | st.integers(0, 50).map(at),
    until=st.none() | st.integers(0, 50).map(at),
    q=st.none() | st.sampled_from(["r1", "ann", "2", "zz", ""]),
)
# a change between pages: a new run, a run's status moving on (its place kept), a run
# forgotten. (A run whose created_at moves before the cursor between pages can show
# again: a late, earlier event of a run already listed. Not drawn here.)
changes = st.one_of(
    st.integers(30, 59).flatmap(lambda i: run_views(f"r{i}")).map(lambda v: ("put", v)),
    st.tuples(
        st.just("status"), st.integers(0, 29).map(lambda i: f"r{i}"), st.sampled_from(STATUSES)
    ),
    st.integers(0, 29).map(lambda i: ("drop", f"r{i}")),
)

# for the indexes alone: any view put again, its times and pipeline moved
reputs = st.one_of(
    run_views().map(lambda v: ("put", v)), st.integers(0, 29).map(lambda i: ("drop", f"r{i}"))
)


def touched_by(change: tuple[Any, ...]) -> str:
    return str(change[1].run_id if change[0] == "put" else change[1])


def key(view: RunView) -> Key:
    return (view.created_at, view.run_id)


def oracle(views: list[RunView], wanted: RunFilter) -> list[str]:
    """The plain way: filter everything, sort everything."""
    found = sorted((v for v in views if matches(v, wanted)), key=key, reverse=True)
    return [v.run_id for v in found]


def table_of(views: list[RunView]) -> RunTable:
    table = RunTable()
    for view in views:
        table.put(view)
    return table


def apply_change(table: RunTable, change: tuple[Any, ...]) -> None:
    if change[0] == "put":
        table.put(change[1])
    elif change[0] == "drop":
        table.drop(change[1])
    elif (view := table.get(change[1])) is not None:
        table.put(replace(view, status=change[2]))


def all_pages(table: RunTable, wanted: RunFilter, limit: int, between: list[Any]) -> list[str]:
    """Every page's run ids in order, following the cursors; ``between`` changes the
    table after each page (one change a page while they last)."""
    shown: list[str] = []
    page = page_runs(table, wanted, limit)
    for _ in range(100):  # a page is full or the last: 30 runs end within 31 pages
        shown += [v.run_id for v in page.runs]
        if page.next is None:
            return shown
        if between:
            apply_change(table, between.pop(0))
        page = page_runs(table, wanted, limit, page.next)
    raise AssertionError("paging did not end")


@settings(max_examples=300)
@given(st.lists(run_views()), st.lists(reputs, max_size=20))
def test_the_indexes_always_match_the_views(views: list[RunView], later: list[Any]) -> None:
    table = table_of(views)
    for change in later:
        apply_change(table, change)
    current = list(table.views.values())
    assert list(table.newest_first()) == sorted(map(key, current), reverse=True)
    for name in PIPELINES:
        mine = [v for v in current if v.pipeline == name]
        assert list(table.newest_first(pipeline=name)) == sorted(map(key, mine), reverse=True)
        done = sorted((v for v in mine if v.finished_at), key=lambda v: (v.finished_at, v.run_id))
        assert table.last_finished(name, 5) == done[::-1][:5]
    for status in STATUSES:
        theirs = [v for v in current if v.status is status]
        assert list(table.newest_first(status=status)) == sorted(map(key, theirs), reverse=True)
    for text in ("0", "1", "ann", "bo", "true"):
        holding = {v.run_id for v in current if text in param_texts(v.params)}
        assert table.with_param_text(text) == holding


@settings(max_examples=300)
@given(st.lists(run_views()), filters, st.integers(1, 7))
def test_paging_through_every_page_yields_the_filtered_runs_newest_first_once(
    views: list[RunView], wanted: RunFilter, limit: int
) -> None:
    table = table_of(views)
    assert all_pages(table, wanted, limit, []) == oracle(list(table.views.values()), wanted)


@settings(max_examples=300)
@given(
    st.lists(run_views()),
    filters,
    st.integers(1, 7),
    st.lists(changes, max_size=10, unique_by=touched_by),
)
def test_paging_while_runs_come_and_go_shows_each_run_once_in_order(
    views: list[RunView], wanted: RunFilter, limit: int, between: list[Any]
) -> None:
    table = table_of(views)
    before = {v.run_id: v for v in table.views.values()}
    touched = {touched_by(change) for change in between}
    shown = all_pages(table, wanted, limit, list(between))
    assert len(shown) == len(set(shown))
    # the runs nobody touched while paging are exactly the oracle's, in its order
    steady = [v for v in before.values() if v.run_id not in touched]
    assert [r for r in shown if r in {v.run_id for v in steady}] == oracle(steady, wanted)


def test_search_matches_the_id_or_a_scalar_param_as_text() -> None:
    view = RunView("run-42", "ingest", 1, RunStatus.QUEUED, params={"n": 3, "ok": True})
    view = replace(view, params={**view.params, "who": "ann", "deep": {"x": "hid"}})
    assert all(found_by(view, q) for q in ("42", "run-4", "3", "true", "ann"))
    assert not any(found_by(view, q) for q in ("an", "hid", "True", "4 "))


def change(run_id: str, seconds: int, status: RunStatus, **fields: Any) -> RunStatusChanged:
    base = {"run_id": run_id, "pipeline": "ingest", "pipeline_version": "1"}
    return RunStatusChanged(**base, status=status, changed_at=at(seconds), **fields)


def test_the_read_model_keeps_its_order_as_events_move_a_run() -> None:
    model = ReadModel({}, "podium.run.events")
    model.apply(change("a", 10, RunStatus.RUNNING))
    model.apply(change("b", 20, RunStatus.RUNNING))
    assert [v.run_id for v in model.list()] == ["b", "a"]
    # an older event of b read late makes b the older run
    model.apply(change("b", 5, RunStatus.RUNNING, step="s", step_status=StepStatus.RUNNING))
    assert [v.run_id for v in model.list()] == ["a", "b"]
    model.apply(change("a", 30, RunStatus.SUCCEEDED))
    assert model.recent("ingest").succeeded == 1
    # a start after a's end is a new run of that id: newest again, no longer finished
    model.apply(change("a", 40, RunStatus.RUNNING))
    assert [v.run_id for v in model.list(status=RunStatus.RUNNING)] == ["a", "b"]
    assert model.recent("ingest").runs == 0
    assert [v.run_id for v in model.list(since=at(6))] == ["a"]
