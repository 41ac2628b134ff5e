"""deploy/grafana/podium.json queries only metrics Podium exports (names taken from the
processes' real registries, so a renamed metric fails here, not on an SRE's screen)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry

from podium.api._metrics import request_metrics
from podium.coordinator._metrics import CoordinatorMetrics, QueuedRuns
from podium.coordinator._observe import Tally
from podium.lag import register_lag_collector
from podium.metrics import new_registry
from podium.service._metrics import ServiceMetrics
from podium.service._runner import ServiceStats
from podium.triggers import TriggerMetrics
from podium.triggers._send import TriggerStats

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "podium.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
PROMQL_WORDS = {"by", "without", "and", "or", "unless", "on", "ignoring", "bool", "offset"}


def exported_names() -> set[str]:
    registry = new_registry()
    CoordinatorMetrics(registry, Tally, Counter())
    registry.register(QueuedRuns(list))
    registry.register(TriggerMetrics(TriggerStats))
    service = SimpleNamespace(name="s", concurrency=1)
    runner: Any = SimpleNamespace(stats=ServiceStats(), service=service, in_flight=0)
    registry.register(ServiceMetrics(runner))
    request_metrics(registry)
    register_lag_collector(registry, _NoReport())
    return {*_names(registry), "up"}


class _NoReport:
    """A lag monitor with nothing sampled yet."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _names(registry: CollectorRegistry) -> set[str]:
    names = set()
    for family in registry.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def queried_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression (label matchers, ranges, grouping
    clauses, strings and function calls aside)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    tokens = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*+(?!\s*\()", expr)
    return {
        token for token in tokens if token not in PROMQL_WORDS and not re.fullmatch(r"\d\w*", token)
    }


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return [panel for panel in found if panel["type"] != "row"]


def test_every_panel_queries_only_exported_metrics() -> None:
    exported = exported_names()
    for panel in panels():
        for target in panel["targets"]:
            unknown = queried_names(target["expr"]) - exported
            assert not unknown, f"{panel['title']}: {sorted(unknown)} are not Podium metrics"


def test_the_dashboard_covers_the_three_audiences() -> None:
    rows = [p["title"] for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] == "row"]
    assert rows == ["Executive", "On call", "Debug"]
    queried = {
        name for panel in panels() for t in panel["targets"] for name in queried_names(t["expr"])
    }
    for needed in ("podium_runs_finished_total", "podium_consumer_lag_seconds",
                   "podium_dead_letters_total", "podium_step_duration_seconds_bucket",
                   "podium_step_attempts_total"):  # fmt: skip
        assert needed in queried


def test_the_name_extraction_sees_through_promql() -> None:
    expr = 'histogram_quantile(0.5, sum by (le, step) (rate(x_bucket{a="b"}[5m]))) / y or on(z) w'
    assert queried_names(expr) == {"x_bucket", "y", "w"}
