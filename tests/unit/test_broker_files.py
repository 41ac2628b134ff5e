"""The state dir's small file helpers: the log's tail, following it, rotation."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from podium.broker._files import last_lines, read_from, rotate_log, tail_file


@given(
    st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=20), max_size=30), st.integers(0, 40)
)
def test_last_lines_keeps_the_end(lines: list[str], count: int) -> None:
    tail = last_lines("\n".join(lines) + "\n", count)
    assert tail.splitlines() == (lines[-count:] if count else [])


def test_the_tail_of_a_large_log_reads_only_its_end(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("".join(f"line {n}\n" for n in range(200_000)))
    assert tail_file(log, 3) == "line 199997\nline 199998\nline 199999"
    assert tail_file(tmp_path / "missing.log", 3) == ""


def test_following_reads_what_was_appended_and_restarts_after_rotation(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("old\n")
    text, position = read_from(log, 0)
    assert text == "old\n"
    with log.open("a") as handle:
        handle.write("new\n")
    assert read_from(log, position) == ("new\n", 8)
    log.write_text("x\n")  # rotated: shorter than where we were
    assert read_from(log, 8) == ("x\n", 2)


def test_a_big_log_is_rotated_once(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("x" * 100)
    rotate_log(log, max_bytes=1000)
    assert log.exists()
    rotate_log(log, max_bytes=10)
    assert not log.exists() and (tmp_path / "broker.log.1").read_text() == "x" * 100
