"""Pipeline and topic files from anyone: YAML that would hang, exhaust memory, crash with a
traceback or silently drop a value is refused with the file, the field and the line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podium._yaml import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_VALUES,
    MAX_YAML_BYTES,
    YamlProblem,
    load_yaml,
)

STEPS = "steps:\n  - name: a\n    service: work\n"

DUPLICATE = "name: first\nversion: 1\nname: second\n" + STEPS
ALIAS_BOMB = "\n".join(
    [
        "name: bomb",
        "version: 1",
        STEPS + "    input:",
        "      a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
    ]
    + [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
)
DEEP = "name: deep\nversion: 1\nparams:\n  x: " + "[" * 5000 + "]" * 5000 + "\n" + STEPS
DEEP_BLOCK = "name: deep\nversion: 1\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(200)) + STEPS
HUGE_INT = "name: big\nversion: " + "9" * 10_000 + "\n" + STEPS
SELF_ALIAS = "name: loop\nversion: 1\nparams: &p\n  again: *p\n" + STEPS


def problem_of(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        load_yaml(text)
    return caught.value


def test_a_key_written_twice_names_both_lines() -> None:
    problem = problem_of(DUPLICATE)
    assert problem.message == "key 'name' is written twice (lines 1 and 3)"


def test_a_duplicate_deep_inside_names_its_field() -> None:
    problem = problem_of(STEPS + "    timeout: 5s\n    timeout: 10s\n")
    assert problem.field == "steps[0]"
    assert "'timeout' is written twice (lines 4 and 5)" in problem.message


def test_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {timeout: 5s}\nstep:\n  <<: *b\n  timeout: 10s\n"
    assert load_yaml(text)["step"] == {"timeout": "10s"}


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    problem = problem_of(ALIAS_BOMB)
    assert f"aliases expand this to more than {MAX_VALUES} values" in problem.message
    assert problem.field.startswith("steps[0].input.a")


def test_shared_anchors_within_the_bound_are_read() -> None:
    text = "retry: &r {max_attempts: 3, backoff: 2s}\nsteps:\n" + "".join(
        f"  - {{name: s{i}, retry: *r}}\n" for i in range(200)
    )
    assert load_yaml(text)["steps"][199]["retry"] == {"max_attempts": 3, "backoff": "2s"}


@pytest.mark.parametrize("text", [DEEP, DEEP_BLOCK], ids=["flow", "block"])
def test_deep_nesting_is_refused_with_its_field(text: str) -> None:
    problem = problem_of(text)
    assert f"nested deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.field.split("[")[0].split(".")[0] in {"params", "k0"}


def test_a_huge_integer_names_its_field_and_line() -> None:
    problem = problem_of(HUGE_INT)
    assert problem.field == "version"
    assert problem.message == (
        f"an integer of 10000 digits; at most {MAX_INT_DIGITS} are read (line 2)"
    )


def test_an_alias_inside_itself_is_refused() -> None:
    assert "refers to a value that holds it" in problem_of(SELF_ALIAS).message


def test_an_impossible_date_is_a_problem_not_a_traceback() -> None:
    assert "invalid YAML" in problem_of("when: 2026-13-45\n").message


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(JSON_LIKE)
def test_any_plain_document_reads_as_safe_load_reads_it(data: Any) -> None:
    for text in (yaml.safe_dump(data), yaml.safe_dump(data, default_flow_style=True)):
        assert load_yaml(text) == yaml.safe_load(text)


YAMLISH = st.text(alphabet="ab:-&*[]{}!,'\"\n 0123456789#<>?|", max_size=80)


@settings(max_examples=500, deadline=None)
@given(YAMLISH)
def test_any_text_is_data_or_a_problem(text: str) -> None:
    """No text makes the reader raise anything but YamlProblem, and what it reads is what
    safe_load reads."""
    try:
        data = load_yaml(text)
    except YamlProblem:
        return
    assert data == yaml.safe_load(text)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PODIUM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    command = [sys.executable, "-m", "podium", "pipelines", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


HOSTILE = {
    "duplicate.yaml": (DUPLICATE, ": key 'name' is written twice (lines 1 and 3)"),
    "bomb.yaml": (
        ALIAS_BOMB,
        f": steps[0].input.a4: aliases expand this to more than {MAX_VALUES}",
    ),
    "deep.yaml": (DEEP, ": params.x[0][0]"),
    "huge.yaml": (HUGE_INT, ": version: an integer of 10000 digits"),
    "large.yaml": ("#" * (MAX_YAML_BYTES + 1), f"at most {MAX_YAML_BYTES} are read"),
}


@pytest.mark.parametrize("command", ["validate", "apply"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_cli_names_file_and_field_without_a_traceback(
    tmp_path: Path, command: str, name: str
) -> None:
    text, expected = HOSTILE[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = run_cli(command, str(path))
    assert done.returncode == (1 if command == "validate" else 2), done.stderr
    if expected.startswith(":"):
        assert f"{path}{expected}" in done.stderr, done.stderr
    else:
        assert str(path) in done.stderr and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
