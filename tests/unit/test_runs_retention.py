"""Which finished runs the read model forgets (pure, no Kafka)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import RunStatus, RunStatusChanged
from podium.runs import RunView
from podium.runs._retention import FinishedRuns
from podium.runs._view import apply_to_view

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEEP = timedelta(seconds=100)
STATUSES = st.sampled_from([RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED])
EVENTS = st.lists(
    st.tuples(st.sampled_from(["r1", "r2", "r3"]), STATUSES, st.integers(0, 300)), max_size=25
)


def event(run_id: str, status: RunStatus, second: int) -> RunStatusChanged:
    return RunStatusChanged(
        run_id=run_id,
        pipeline="p",
        pipeline_version="1",
        status=status,
        changed_at=T0 + timedelta(seconds=second),
    )


def fold(events: list[tuple[str, RunStatus, int]], finished: FinishedRuns) -> dict[str, RunView]:
    views: dict[str, RunView] = {}
    for run_id, status, second in events:
        before = views.get(run_id)
        views[run_id] = after = apply_to_view(before, event(run_id, status, second))
        finished.note(before, after)
    return views


@given(EVENTS, st.integers(0, 500))
def test_exactly_the_runs_finished_a_retention_ago_are_forgotten_each_once(
    events: list[tuple[str, RunStatus, int]], now_s: int
) -> None:
    """Whatever the events (finishes, late duplicates, a run id started again): the
    runs forgotten are those whose view finished more than ``keep`` before now."""
    finished = FinishedRuns(KEEP)
    views = fold(events, finished)
    now = T0 + timedelta(seconds=now_s)
    due = {
        run_id
        for run_id, view in views.items()
        if view.finished_at is not None and view.finished_at < now - KEEP
    }
    expired = finished.expired(views, now)
    assert sorted(expired) == sorted(due)
    for run_id in expired:
        del views[run_id]
    assert finished.expired(views, now) == []


def test_a_run_started_again_after_its_end_is_not_forgotten_by_its_old_finish() -> None:
    finished = FinishedRuns(KEEP)
    views = fold(
        [
            ("r1", RunStatus.RUNNING, 0),
            ("r1", RunStatus.SUCCEEDED, 10),
            ("r1", RunStatus.RUNNING, 50),
        ],
        finished,
    )
    assert finished.expired(views, T0 + timedelta(seconds=1000)) == []
    assert views["r1"].status is RunStatus.RUNNING
