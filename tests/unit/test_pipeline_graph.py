"""Step graph helpers and the content hash of definitions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.pipelines import Pipeline, PipelineValidationError, canonical_json, content_hash
from podium.pipelines._graph import (
    ancestors,
    dependants,
    dependencies,
    find_cycles,
    roots,
    topological_order,
)


def pipeline(steps: list[dict[str, Any]], **extra: Any) -> Pipeline:
    return Pipeline.model_validate({"name": "p", "version": 1, "steps": steps, **extra})


DIAMOND = pipeline(
    [
        {"name": "validate", "service": "s"},
        {"name": "aggregate", "service": "s", "after": ["validate"]},
        {"name": "profile", "service": "s", "after": ["validate"]},
        {"name": "load", "service": "s", "after": ["profile", "aggregate"]},
        {"name": "notify", "service": "s", "after": ["load"]},
    ]
)


def test_topological_order_keeps_declaration_order_among_ready_steps() -> None:
    assert topological_order(DIAMOND) == ("validate", "aggregate", "profile", "load", "notify")


def test_dependants_roots_and_ancestors() -> None:
    assert dependants(DIAMOND, "validate") == ("aggregate", "profile")
    assert dependants(DIAMOND, "notify") == ()
    assert roots(DIAMOND) == ("validate",)
    graph = dependencies(DIAMOND)
    assert ancestors(graph, "notify") == {"validate", "aggregate", "profile", "load"}
    assert ancestors(graph, "validate") == frozenset()


def test_topological_order_refuses_a_cycle() -> None:
    cyclic = pipeline(
        [
            {"name": "a", "service": "s", "after": ["c"]},
            {"name": "b", "service": "s", "after": ["a"]},
            {"name": "c", "service": "s", "after": ["b"]},
        ]
    )
    with pytest.raises(PipelineValidationError, match="cycle: a -> b -> c -> a"):
        topological_order(cyclic)


def test_find_cycles_reports_each_cycle_once() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"], "e": ["a"]}
    assert sorted(find_cycles(graph)) == [("a", "b", "a"), ("c", "d", "c")]


names = st.sampled_from("abcdefgh")


@given(st.dictionaries(names, st.lists(names, max_size=3), min_size=1))
def test_order_respects_every_dependency_when_there_is_no_cycle(
    graph: dict[str, list[str]],
) -> None:
    steps = [
        {"name": n, "service": "s", "after": [d for d in deps if d in graph]}
        for n, deps in graph.items()
    ]
    candidate = pipeline(steps)
    if find_cycles(dependencies(candidate)):
        with pytest.raises(PipelineValidationError):
            topological_order(candidate)
        return
    order = topological_order(candidate)
    assert sorted(order) == sorted(graph)
    for step in candidate.steps:
        assert all(order.index(dep) < order.index(step.name) for dep in step.after)


def test_content_hash_ignores_key_order_spelled_defaults_and_duration_style() -> None:
    one = pipeline([{"name": "a", "service": "s", "timeout": "5m"}])
    two = Pipeline.model_validate(
        {
            "steps": [{"timeout": 300, "service": "s", "name": "a", "retry": {"max_attempts": 3}}],
            "version": 1,
            "description": "",
            "name": "p",
        }
    )
    assert canonical_json(one) == canonical_json(two)
    assert content_hash(one) == content_hash(two)
    assert content_hash(one).startswith("sha256:")


def test_content_hash_changes_with_content() -> None:
    one = pipeline([{"name": "a", "service": "s"}])
    two = pipeline([{"name": "a", "service": "s", "input": {"op": "x"}}])
    assert content_hash(one) != content_hash(two)


def test_canonical_json_loads_back_to_the_same_pipeline() -> None:
    with_triggers = pipeline(
        [{"name": "a", "service": "s"}],
        params={"p": {"type": "string"}},
        triggers=[
            {"type": "event", "topic": "t", "params": {"p": "uri"}},
            {"type": "cron", "schedule": "@daily", "params": {"p": "x"}},
        ],
    )
    assert Pipeline.model_validate_json(canonical_json(with_triggers)) == with_triggers
