"""Plans, apply results and topic status as text for people (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from podium.topics._plan import (
    Action,
    AlterConfigs,
    ClusterState,
    CreateTopic,
    IncreasePartitions,
    Plan,
    TopicState,
)
from podium.topics._spec import TopicSpec, TopicSpecs

UNSET = "(unset)"


def action_lines(action: Action) -> list[str]:
    """One line per change: ``+`` creates, ``~`` changes in place."""
    if isinstance(action, CreateTopic):
        return [f"+ create {action.topic}: {_create_details(action)}"]
    if isinstance(action, IncreasePartitions):
        return [f"~ {action.topic}: partitions {action.current} -> {action.desired}"]
    return _config_lines(action)


def _create_details(action: CreateTopic) -> str:
    plural = "" if action.partitions == 1 else "s"
    parts = [
        f"{action.partitions} partition{plural}",
        f"replication factor {action.replication_factor}",
    ]
    parts += [f"{key}={value}" for key, value in action.configs.items()]
    return ", ".join(parts)


def _config_lines(action: AlterConfigs) -> list[str]:
    return [
        f"~ {action.topic}: config {c.key}: {c.current if c.current is not None else UNSET}"
        f" -> {c.desired}"
        for c in action.changes
    ]


def plan_lines(the_plan: Plan) -> list[str]:
    """Every action and refusal of a plan, in plan order."""
    lines = [line for action in the_plan.actions for line in action_lines(action)]
    lines += [f"! {r.topic}: refused: {r.reason}" for r in the_plan.refusals]
    lines += [f"! {warning}" for warning in the_plan.warnings]
    return lines


def plan_summary(the_plan: Plan, *, done: bool = False) -> str:
    """The closing line: counts of what is (or was) to be done and refused."""
    if the_plan.in_sync:
        return "No changes: the cluster matches the topic files."
    if not the_plan.actions:
        return f"No changes possible: {len(the_plan.refusals)} refused (see above)."
    creates = sum(isinstance(a, CreateTopic) for a in the_plan.actions)
    changed = len({a.topic for a in the_plan.actions if not isinstance(a, CreateTopic)})
    verbs = ("created", "changed") if done else ("to create", "to change")
    head = "Applied" if done else "Plan"
    return f"{head}: {creates} {verbs[0]}, {changed} {verbs[1]}, {len(the_plan.refusals)} refused."


class TopicStatus(BaseModel):
    """One declared topic on the cluster, for ``podium topics list``."""

    model_config = ConfigDict(frozen=True)

    name: str
    state: Literal["ok", "missing", "differs"]
    partitions: int | None
    desired_partitions: int
    replication_factor: int | None
    desired_replication_factor: int
    # key -> (value on the cluster or None when unset, declared value)
    configs: Mapping[str, tuple[str | None, str]]


def topic_statuses(desired: TopicSpecs, actual: ClusterState) -> list[TopicStatus]:
    return [_status(spec, actual.topics.get(spec.name)) for spec in desired.topics]


def _status(spec: TopicSpec, current: TopicState | None) -> TopicStatus:
    configs = {
        key: (current.configs.get(key) if current else None, value)
        for key, value in sorted(spec.configs.items())
    }
    return TopicStatus(
        name=spec.name,
        state=_state(spec, current, configs),
        partitions=current.partitions if current else None,
        desired_partitions=spec.partitions,
        replication_factor=current.replication_factor if current else None,
        desired_replication_factor=spec.replication_factor,
        configs=configs,
    )


def _state(
    spec: TopicSpec, current: TopicState | None, configs: Mapping[str, tuple[str | None, str]]
) -> Literal["ok", "missing", "differs"]:
    if current is None:
        return "missing"
    same_configs = all(have == want for have, want in configs.values())
    same_shape = (current.partitions, current.replication_factor) == (
        spec.partitions,
        spec.replication_factor,
    )
    return "ok" if same_configs and same_shape else "differs"


def status_table(statuses: list[TopicStatus]) -> list[str]:
    """An aligned table; a value that differs from the files shows ``have (want X)``."""
    rows = [("TOPIC", "STATE", "PARTITIONS", "RF", "CONFIGS")]
    rows += [_row(status) for status in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]])
        for row in rows
    ]


def _row(status: TopicStatus) -> tuple[str, str, str, str, str]:
    if status.state == "missing":
        return (
            status.name,
            "missing",
            f"- (want {status.desired_partitions})",
            f"- (want {status.desired_replication_factor})",
            "-",
        )
    configs = ", ".join(
        f"{key}={_have_want(have or UNSET, want)}" for key, (have, want) in status.configs.items()
    )
    return (
        status.name,
        status.state,
        _have_want(str(status.partitions), str(status.desired_partitions)),
        _have_want(str(status.replication_factor), str(status.desired_replication_factor)),
        configs or "-",
    )


def _have_want(have: str, want: str) -> str:
    return have if have == want else f"{have} (want {want})"
