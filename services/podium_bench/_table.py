"""The benchmark's result as a readable table (pure: a report in, lines out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium_bench._report import Report


def _num(value: Any) -> str:
    if value is None:
        return "-"
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"


def _pcts(values: Mapping[str, Any]) -> str:
    return " / ".join(_num(values[key]) for key in ("p50", "p95", "p99", "max"))


def _target(report: Report, name: str) -> str:
    found = report["targets"].get(name)
    if found is None:
        return ""
    return f"{found['target']} {'met' if found['met'] else 'NOT met'}"


def rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    """(figure, podium, floor, podium/floor, target) rows."""
    r, q = report, report["ratios"]
    t, lat = r["transition_ms"], r["run_latency_ms"]
    return [
        ("3-step runs/s", _num(r["runs_per_s"]), _num(r["floor_runs_per_s"]),
         _num(q["runs_per_s"]), _target(r, "runs_per_s")),
        ("transition ms p50/p95/p99/max", _pcts(t), _pcts(r["floor_transition_ms"]),
         f"{_num(q['transition_p50'])} / {_num(q['transition_p99'])} (p50/p99)",
         f"p50 {_target(r, 'transition_p50_ms')}, p99 {_target(r, 'transition_p99_ms')}"),
        ("run latency ms p50/p95/p99/max", _pcts(lat), _pcts(r["floor_run_latency_ms"]),
         f"{_num(q['run_latency_p50'])} / {_num(q['run_latency_p99'])} (p50/p99)", ""),
        ("chain total ms", _num(r["chain40_total_ms"]), "", "", ""),
        ("chain overhead ms/step", _num(r["chain40_overhead_ms_per_step"]),
         _num(r["floor_chain40_overhead_ms_per_step"]), _num(q["chain40_overhead"]),
         _target(r, "chain40_overhead_ms_per_step")),
        ("coordinator CPU us/event", _num(r["coordinator_cpu_us_per_event"]),
         _num(r["floor_cpu_us_per_event"]), _num(q["cpu_per_event"]),
         _target(r, "coordinator_cpu_us_per_event")),
        ("  handler alone, no Kafka", _num(r["handler_cpu_us_per_event"]), "", "", ""),
        ("coordinator peak RSS MB", _num(r["coordinator_peak_rss_mb"]), "", "", ""),
        *_map_rows(r.get("map") or {}),
    ]  # fmt: skip


def _map_rows(found: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The map phase's figures, when it ran."""
    if not found:
        return []
    items = f"{_num(found['items'])} items"
    return [
        (f"map of {items}: seconds", _num(found["seconds"]), "", "", ""),
        ("  map items/s", _num(found["items_per_s"]), "", "", ""),
        ("  map coordinator CPU us/item", _num(found["coordinator_cpu_us_per_item"]), "", "", ""),
        ("  map coordinator peak RSS MB", _num(found["coordinator_peak_rss_mb_after"]), "", "", ""),
    ]


def render(report: Report) -> str:
    """The table, then the load, outcomes, machine and settings in one line each."""
    header = ("figure", "podium", "kafka floor", "podium/floor", "target")
    table = [header, *rows(report)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", *_notes(report)])


def _priority_note(report: Report) -> str:
    """At what nice the coordinator (and the floor's relay for its hops) really ran."""
    requested = report["settings"].get("coordinator_nice")
    if requested is None:
        return "priority: the coordinator ran at the nice it was started with"
    details = [run.get("detail", {}) for run in report.get("repeats", [report])]
    ran = {str(value) for d in details for value in d.get("coordinator_nice", {}).values()}
    if ran == {str(requested)}:
        return f"priority: coordinator and floor relay at nice {requested}, the rest as started"
    return (
        f"priority: nice {requested} asked for the coordinator and floor relay, they ran at "
        f"{', '.join(sorted(ran))} (a nice below 0 needs CAP_SYS_NICE)"
    )


def _notes(report: Report) -> list[str]:
    outcomes, settings, machine = report["outcomes"], report["settings"], report["machine"]
    repeats = len(report.get("repeats", [])) or 1
    fixed = settings.get("paced_rate") is not None
    pace = (
        "fixed by --paced-rate"
        if fixed
        else f"{settings.get('load', 0.7):.0%} of the measured maximum"
    )
    return [
        f"latency phase paced at {_num(report['paced_rate_per_s'])} runs/s "
        f"({pace}); medians of {repeats} run(s)",
        f"runs: {outcomes['requested']} requested, {outcomes['succeeded']} succeeded",
        _priority_note(report),
        "machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()),
        "settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
    ]
