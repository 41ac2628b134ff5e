"""The step graph: order, dependants, ancestors and cycles (pure, no I/O).

An edge ``b -> a`` means step ``a`` lists ``b`` in ``after``: ``a`` runs once
``b`` is done. Functions that need a valid graph raise
PipelineValidationError; the validator uses ``find_cycles`` to report instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from podium.pipelines._errors import PipelineValidationError, Problem
from podium.pipelines._model import Pipeline

Graph = Mapping[str, Sequence[str]]
"""Step name -> the steps it runs after."""


def dependencies(pipeline: Pipeline) -> dict[str, tuple[str, ...]]:
    """Step name -> the steps it runs after (its ``after`` list)."""
    return {step.name: step.after for step in pipeline.steps}


def dependants(pipeline: Pipeline, name: str) -> tuple[str, ...]:
    """Steps that list ``name`` in ``after``, in declaration order."""
    return tuple(step.name for step in pipeline.steps if name in step.after)


def roots(pipeline: Pipeline) -> tuple[str, ...]:
    """Steps with no dependencies: the ones a new run starts with."""
    return tuple(step.name for step in pipeline.steps if not step.after)


def ancestors(graph: Graph, name: str) -> frozenset[str]:
    """Every step ``name`` runs after, directly or transitively (safe on cycles)."""
    seen: set[str] = set()
    pending = list(graph.get(name, ()))
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(graph.get(current, ()))
    return frozenset(seen)


def topological_order(pipeline: Pipeline) -> tuple[str, ...]:
    """Step names so each comes after its dependencies; ties keep declaration order."""
    graph = dependencies(pipeline)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(graph):
        ready = [n for n, deps in graph.items() if n not in placed and placed.issuperset(deps)]
        if not ready:
            raise PipelineValidationError([_unorderable(pipeline, graph)])
        order.extend(ready)
        placed.update(ready)
    return tuple(order)


def _unorderable(pipeline: Pipeline, graph: Graph) -> Problem:
    cycles = find_cycles(graph)
    reason = f"cycle: {format_cycle(cycles[0])}" if cycles else "steps depend on unknown steps"
    return Problem("steps", f"{pipeline.key} cannot be ordered: {reason}")


def find_cycles(graph: Graph) -> list[tuple[str, ...]]:
    """Each distinct cycle found by a depth-first walk, in run order, e.g. (a, b, c, a)."""
    found: dict[frozenset[str], tuple[str, ...]] = {}
    done: set[str] = set()
    position = {name: index for index, name in enumerate(graph)}
    for start in graph:
        for cycle in _cycles_from(graph, start, done):
            found.setdefault(frozenset(cycle), _rotate(cycle, position))
    return list(found.values())


def _rotate(cycle: tuple[str, ...], position: Mapping[str, int]) -> tuple[str, ...]:
    """The same closed cycle, starting at its earliest declared step."""
    loop = cycle[:-1]
    first = min(range(len(loop)), key=lambda index: position[loop[index]])
    rotated = loop[first:] + loop[:first]
    return (*rotated, rotated[0])


def _cycles_from(graph: Graph, start: str, done: set[str]) -> Iterator[tuple[str, ...]]:
    """Iterative DFS over ``after`` edges; yields each back edge's cycle."""
    path: list[str] = []
    stack: list[tuple[str, Iterator[str]]] = []
    if start not in done:
        path.append(start)
        stack.append((start, iter(graph.get(start, ()))))
    while stack:
        node, edges = stack[-1]
        child = next(edges, None)
        if child is None:
            stack.pop()
            path.pop()
            done.add(node)
        elif child in path:
            yield _run_order(path[path.index(child) :])
        elif child not in done and child in graph:
            path.append(child)
            stack.append((child, iter(graph[child])))


def _run_order(loop: list[str]) -> tuple[str, ...]:
    """A cycle found along ``after`` edges, reversed to read in run order and closed."""
    ordered = list(reversed(loop))
    return (*ordered, ordered[0])


def format_cycle(cycle: Sequence[str]) -> str:
    return " -> ".join(cycle)
