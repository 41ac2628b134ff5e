"""The floor's relay: its arguments, and the chain loop's routing (pure parts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium_bench._relay import ROUND, Loop, loop, parse_args, rounds

CHAIN = loop(["start", "results", "requests", "done", "3", "10", "4"])


def _route(source: str, headers: list[tuple[str, bytes]]) -> tuple[str, int | None]:
    target, sent = CHAIN.next(source, headers)
    return target, rounds(sent) if target == "requests" else None


def test_a_chain_run_goes_out_steps_times_then_to_done() -> None:
    path = [_route("start", [])]
    while path[-1][0] == "requests":
        count = path[-1][1]
        assert count is not None
        path.append(_route("results", [("h", b"x"), (ROUND, str(count).encode())]))
    assert path == [("requests", 1), ("requests", 2), ("requests", 3), ("done", None)]


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=200))
def test_the_loop_sends_each_result_on_until_the_last_step(steps: int, sent: int) -> None:
    chain = Loop("s", "r", "q", "d", steps, b"v", [("h", b"h")])
    target, headers = chain.next("r", [(ROUND, str(sent).encode())])
    if sent >= steps:
        assert (target, headers) == ("d", [("h", b"h")])
    else:
        assert target == "q" and rounds(headers) == sent + 1


def test_a_result_without_its_round_is_an_error_not_a_new_run() -> None:
    with pytest.raises(ValueError, match=ROUND):
        CHAIN.next("results", [("h", b"x")])


def test_messages_have_the_sizes_asked_for() -> None:
    assert len(CHAIN.value) == 10
    assert sum(len(k) + len(v) for k, v in CHAIN.headers) == 4


def test_arguments_give_hops_sleeping_hops_and_loops() -> None:
    hops = ["--hop", "a", "b", "100", "20", "--sleep-hop", "q", "r", "10", "50", "5"]
    loops = ["--loop", "s", "r", "q", "d", "40", "100", "20"]
    relays = parse_args(["--group", "g", *hops, *loops, "--nice", "-10"])
    assert relays.group == "g" and relays.nice == -10
    assert [(h.source, h.target, h.sleep_s) for h in relays.hops] == [
        ("a", "b", 0.0),
        ("q", "r", 0.01),
    ]
    assert relays.loops[0].steps == 40
    assert relays.sources == ["a", "q", "s", "r"]


def test_a_relay_with_nothing_to_relay_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--group", "g"])
