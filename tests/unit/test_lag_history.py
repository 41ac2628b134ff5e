"""The lag history behind the dashboard's chart: every sample of the last hour, no more."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.lag import GroupLag, GroupRole, LagReport, LagStatus
from podium.lag._history import History, with_report
from podium.lag._model import GroupIdentity

GROUPS = ("podium-coordinator", "podium-service-a", "podium-service-b")


def group_of(name: str, lag: int, taken_at: float) -> GroupLag:
    identity = GroupIdentity(GroupRole.SERVICE, name)
    return GroupLag(name, identity, taken_at, 1, (), lag, None, None, None, LagStatus.OK, 60.0)


def report_at(taken_at: float, lags: dict[str, int]) -> LagReport:
    groups: tuple[GroupLag, ...] = tuple(
        group_of(name, lag, taken_at) for name, lag in sorted(lags.items())
    )
    return LagReport(taken_at, 60.0, groups)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 900, allow_nan=False),
            st.dictionaries(st.sampled_from(GROUPS), st.integers(0, 10**6)),
        ),
        max_size=30,
    ),
    st.floats(1, 3600),
)
def test_the_history_keeps_each_groups_samples_within_the_hour_in_order(
    steps: list[tuple[float, dict[str, int]]], keep_s: float
) -> None:
    history: History = {}
    now, reports = 0.0, []
    for gap, lags in steps:
        now += gap
        reports.append(report_at(now, lags))
        history = with_report(history, reports[-1], keep_s)
    for group in GROUPS:
        expected = [
            (r.taken_at, lag)
            for r in reports
            for name, lag in ((g.group, g.lag_messages) for g in r.groups)
            if name == group and r.taken_at >= now - keep_s
        ]
        assert [(p.taken_at, p.lag_messages) for p in history.get(group, ())] == expected
