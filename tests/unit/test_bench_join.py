"""Joining broker append times into transitions, run latencies and segments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium_bench import (
    STEPS,
    Append,
    Kind,
    first_appends,
    floor_hops,
    floor_stage,
    median_sizes,
    run_latencies,
    segments,
    transitions,
)
from podium_bench._join import chain_hops

R, Q, C, S = Kind.RUN_REQUESTED, Kind.STEP_REQUESTED, Kind.STEP_COMPLETED, Kind.RUN_SUCCEEDED


def run(run_id: str, start: int, hop: int = 2, service: int = 1) -> list[Append]:
    """The appends of one a -> b -> c run: each coordinator hop ``hop`` ms, each step
    ``service`` ms."""
    records, now = [Append(R, run_id, "", start)], start
    for step in STEPS:
        now += hop
        records.append(Append(Q, run_id, step, now))
        now += service
        records.append(Append(C, run_id, step, now))
    return [*records, Append(S, run_id, "", now + hop)]


def test_a_transition_is_a_completion_to_the_next_request() -> None:
    assert transitions(run("r1", 1000, hop=3), STEPS) == [3, 3]
    assert run_latencies(run("r1", 1000, hop=3, service=1)) == [4 * 3 + 3 * 1]


def test_runs_are_joined_by_id_whatever_the_order_of_records() -> None:
    records = run("r1", 0, hop=1) + run("r2", 5, hop=7)
    assert sorted(transitions(records[::-1], STEPS)) == [1, 1, 7, 7]


def test_a_redelivered_duplicate_does_not_count_twice() -> None:
    records = [*run("r1", 0, hop=2), Append(C, "r1", "a", 500), Append(Q, "r1", "b", 900)]
    assert transitions(records, STEPS) == [2, 2]


def test_an_unfinished_run_gives_no_latency_and_its_missing_transitions_none() -> None:
    records = [r for r in run("r1", 0) if not (r.kind is Q and r.stage == "c")][:-1]
    assert transitions(records, STEPS) == [2]
    assert run_latencies(records) == []


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 500)), min_size=1, max_size=30))
def test_every_complete_run_gives_len_steps_minus_one_transitions(
    runs: list[tuple[int, int]],
) -> None:
    records = [r for i, (start, hop) in enumerate(runs) for r in run(f"r{i}", start, hop)]
    found = transitions(records, STEPS)
    assert len(found) == len(runs) * (len(STEPS) - 1)
    assert sorted(found) == sorted(hop for _, hop in runs for _ in range(len(STEPS) - 1))


def test_segments_say_where_a_run_spends_its_time() -> None:
    found = segments(run("r1", 0, hop=2, service=9), STEPS)
    assert found["run requested -> a requested"] == [2]
    assert found["b requested -> b completed"] == [9]
    assert found["a completed -> b requested"] == [2]
    assert found["c completed -> run succeeded"] == [2]
    assert len(found) == 1 + len(STEPS) + (len(STEPS) - 1) + 1


def test_first_appends_keeps_the_earliest() -> None:
    records = [Append(C, "r", "a", 9), Append(C, "r", "a", 4), Append(Q, "r", "a", 1)]
    assert first_appends(records, C) == {("r", "a"): 4}


def test_median_sizes_per_kind() -> None:
    records = [
        Append(R, "r", "", 0, 10, 5),
        Append(R, "s", "", 0, 30, 7),
        Append(R, "t", "", 0, 20, 6),
    ]
    assert median_sizes(records) == {R: (20, 6)}


def test_floor_topics_stand_for_the_same_records_as_podium_topics() -> None:
    stages = [floor_stage(index, STEPS) for index in range(8)]
    assert stages == [(R, ""), (Q, "a"), (C, "a"), (Q, "b"), (C, "b"), (Q, "c"), (C, "c"), (S, "")]
    with pytest.raises(ValueError, match="outside"):
        floor_stage(8, STEPS)


def test_floor_hops_split_like_podium_processes() -> None:
    coordinator, services = floor_hops(STEPS)
    assert coordinator == [(0, 1), (2, 3), (4, 5), (6, 7)]
    assert services == [(1, 2), (3, 4), (5, 6)]


def test_a_chain_splits_into_service_time_and_coordinator_hops() -> None:
    hops = chain_hops([*run("r1", 0, hop=3, service=12), *run("r2", 100, hop=5, service=11)], STEPS)
    assert hops["service"] == [12, 12, 12, 11, 11, 11]
    assert hops["coordinator"] == [3, 3, 5, 5]  # a -> b and b -> c of each run
