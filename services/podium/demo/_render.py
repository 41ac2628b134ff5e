"""What the demo prints, as pure functions of what happened (no I/O, no clock)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from podium.broker import BrokerStatus
from podium.contract import RunStatus, RunStatusChanged, StepStatus
from podium.demo._plan import LOOPBACK
from podium.registry import ApplyResult, ApplyStatus
from podium.runs import RunView
from podium.topics import CreateTopic, Plan, plan_lines

STEP_WIDTH = 12
DETAIL_WIDTH = 72


def short_value(value: Any, width: int = DETAIL_WIDTH) -> str:
    """A step's output on one line: ``key=value`` pairs, file paths by their name only.

    Whitespace runs (newlines in an error message too) become one space.
    """
    text = " ".join(_compact(value).split())
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{key}={_atom(item)}" for key, item in value.items())
    return _atom(value)


def _atom(value: Any) -> str:
    if isinstance(value, str):
        # the full paths come in the summary at the end; a line shows which file
        return value.rsplit("/", 1)[-1] if value.startswith("/") else value
    if isinstance(value, list | tuple):
        return "[" + ",".join(_atom(item) for item in value) + "]"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def transition_row(event: RunStatusChanged, tz: tzinfo | None = None) -> str:
    """One line per transition: local time, step (or ``run``), status, attempt, detail."""
    at = event.changed_at.astimezone(tz).strftime("%H:%M:%S.%f")[:-3]
    if event.step is None:
        reason = short_value(event.reason) if event.reason else ""
        return f"{at}  {'run':<{STEP_WIDTH}} {event.status.value:<15} {reason}".rstrip()
    status = event.step_status.value if event.step_status else StepStatus.UNKNOWN.value
    attempt = f"#{event.attempt}" if event.attempt else ""
    row = f"{at}  {event.step:<{STEP_WIDTH}} {status:<11} {attempt:<3} {_detail(event)}"
    return row.rstrip()


def _detail(event: RunStatusChanged) -> str:
    if event.error is not None:
        return short_value(f"{event.error.error_type}: {event.error.error_message}")
    if event.step_status is StepStatus.SUCCEEDED and event.output_json is not None:
        return short_value(_loads(event.output_json))
    detail = _loads(event.detail_json) if event.detail_json else None
    if isinstance(detail, dict) and detail.get("condition"):
        return short_value(f"condition not met: {detail['condition']}")
    if isinstance(detail, dict) and detail.get("trigger_rule"):
        return short_value(str(detail.get("reason")))
    return ""


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def broker_line(status: BrokerStatus | None, bootstrap: str) -> str:
    """Where Kafka is: a broker the demo started, one already running, or a configured cluster."""
    if status is None:
        return f"broker: using the cluster at {bootstrap} (PODIUM_KAFKA__BOOTSTRAP_SERVERS)"
    if status.already_running:
        return f"broker: already running at {status.bootstrap} (pid {status.pid})"
    return (
        f"broker: started at {status.bootstrap} "
        f"(pid {status.pid}, Kafka {status.kafka_version}; data in {status.data_dir})"
    )


def topics_lines(the_plan: Plan, declared: int) -> list[str]:
    """``topics: 2 created, 0 changed, 29 unchanged`` and any refusal or warning below it."""
    created = sum(isinstance(action, CreateTopic) for action in the_plan.actions)
    touched = {a.topic for a in the_plan.actions if not isinstance(a, CreateTopic)}
    refused = {r.topic for r in the_plan.refusals}
    unchanged = declared - created - len(touched | refused)
    head = f"topics: {created} created, {len(touched)} changed, {unchanged} unchanged"
    if refused:
        head += f", {len(refused)} refused"
    notes = [f"  {line}" for line in plan_lines(the_plan) if line.startswith("!")]
    return [head, *notes]


def pipeline_lines(results: Sequence[ApplyResult]) -> list[str]:
    """``pipeline: file-ingest@1 unchanged`` (or published, or why it was refused)."""
    lines = []
    for result in results:
        if result.status in (ApplyStatus.REFUSED, ApplyStatus.HELD):
            lines.append(f"pipeline: {result.key} {result.status.value}: {result.reason}")
        else:
            lines.append(f"pipeline: {result.key} {result.status.value}")
    return lines


def finished_line(view: RunView) -> str:
    """``run ID SUCCEEDED in 4.2s`` (with the reason when there is one)."""
    took = ""
    if view.finished_at is not None:
        took = f" in {(view.finished_at - view.created_at).total_seconds():.1f}s"
    reason = f": {view.reason}" if view.reason else ""
    return f"run {view.run_id} {view.status.value}{took}{reason}"


@dataclass(frozen=True)
class Produced:
    """What the example services left behind for one run (read by ``_outputs``)."""

    aggregate: str | None = None
    profile: str | None = None
    warehouse: str | None = None
    table: str | None = None
    rows: tuple[tuple[str, str, float], ...] = ()
    notifications: str | None = None
    notice: str | None = None


def produced_lines(produced: Produced) -> list[str]:
    """The summary after a successful run: files, warehouse rows, the notification."""
    lines = ["what the services produced:"]
    lines += _file_line("aggregate", produced.aggregate)
    lines += _file_line("profile", produced.profile)
    if produced.warehouse:
        count = len(produced.rows)
        lines.append(
            f"  {'warehouse':<13} {produced.warehouse}, table {produced.table}: "
            f"{count} row{'' if count == 1 else 's'} for this run"
        )
        lines += [f"  {'':<13}   {g:<10} {m:<8} {total:>12.2f}" for g, m, total in produced.rows]
    lines += _file_line("notification", produced.notifications)
    if produced.notice:
        lines.append(f"  {'':<13}   {produced.notice}")
    return lines


def _file_line(label: str, path: str | None) -> list[str]:
    return [f"  {label:<13} {path}"] if path else []


def api_lines(url: str, run_id: str) -> list[str]:
    return [
        f"API: {url} (from any shell):",
        f"  curl {url}/v1/runs/{run_id}",
        f"  curl {url}/v1/runs",
    ]


def dashboard_line(url: str, run_id: str) -> str:
    """The dashboard's page of the demo's run (``podium api`` serves it at ``/``)."""
    return f"dashboard: {url}/#/run/{run_id} (open it in a browser; the runs list is {url}/)"


def metrics_lines(ports: Mapping[str, int], api_port: int, config: Path, data: Path) -> list[str]:
    """Where each child's Prometheus metrics are, and the one command that scrapes them."""
    urls = ", ".join(f"{name} :{port}" for name, port in ports.items())
    return [
        f"metrics: http://{LOOPBACK}:<port>/metrics on {urls}; the API's on :{api_port}",
        f"  Prometheus on them: prometheus --config.file={config} "
        f"--storage.tsdb.path={data} --web.listen-address={LOOPBACK}:9090",
    ]


def stop_lines(local_broker: bool) -> list[str]:
    """How to stop what keeps running (the demo without --once)."""
    tail = (
        "the broker keeps running until `podium broker stop`."
        if local_broker
        else "the Kafka cluster is left as it is."
    )
    return [f"Ctrl-C stops the coordinator, the API and the services; {tail}"]


def failure_lines(view: RunView) -> list[str]:
    """Why a finished run did not succeed: the failed step and its error, else the run's."""
    failed = failed_step(view)
    if failed is not None:
        return [f"failed step: {failed[0]}: {failed[1]}"]
    if view.error is not None:
        return [f"error: {view.error.error_type}: {view.error.error_message}"]
    return []


def failed_step(view: RunView) -> tuple[str, str] | None:
    """The most recently failed step and its error text, if a step failed."""
    failed = [
        (step.changed_at, name, step)
        for name, step in view.steps.items()
        if step.status is StepStatus.FAILED
    ]
    if not failed:
        return None
    _, name, step = max(failed, key=lambda item: item[0])
    error = step.error
    return name, f"{error.error_type}: {error.error_message}" if error else "(no error recorded)"


def succeeded(view: RunView | None) -> bool:
    return view is not None and view.status is RunStatus.SUCCEEDED
