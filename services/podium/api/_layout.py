"""Where the dashboard draws each step of a pipeline's DAG. Pure.

A step's column (``layer``) is the length of the longest chain of steps it runs
after, so every edge points right; its ``row`` is its place among the steps of that
column, in declaration order. The browser only turns columns and rows into pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    layer: int
    row: int


def dag_layout(after: Mapping[str, Sequence[str]]) -> dict[str, Place]:
    """Each step's place, given step -> the steps it runs after (declaration order).

    A dependency on an unknown step is ignored; a cycle (which validation refuses
    before a pipeline is published) leaves its steps in the column reached so far."""
    layers: dict[str, int] = {}
    for name in after:
        layers[name] = _layer(name, after, layers, frozenset())
    rows: dict[int, int] = {}
    places: dict[str, Place] = {}
    for name in after:
        layer = layers[name]
        places[name] = Place(layer, rows.get(layer, 0))
        rows[layer] = rows.get(layer, 0) + 1
    return places


def _layer(
    name: str, after: Mapping[str, Sequence[str]], known: dict[str, int], path: frozenset[str]
) -> int:
    if name in known:
        return known[name]
    deps = [d for d in after.get(name, ()) if d in after and d not in path]
    layer = max((_layer(d, after, known, path | {name}) + 1 for d in deps), default=0)
    known[name] = layer
    return layer
