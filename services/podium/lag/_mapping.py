"""Consumer groups -> what users call them: the coordinator, a service and its steps.

Pure: the group names Podium uses come in as :class:`GroupNaming` (from settings), the
steps' request topics from the published pipelines.

- the coordinator's group is ``settings.coordinator.app_id`` (``podium-coordinator``);
- the trigger runner's is ``podium-triggers``, or ``<app_id>-triggers`` inside the
  coordinator;
- a step service's is ``podium-service-<name>`` (``<app_id>-service-<name>`` in the
  demo); any group consuming a step's request topic is a service group too, and the
  steps that send there name its service.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from podium.contract import compensation_name
from podium.lag._model import GroupIdentity, GroupRole, StepRef
from podium.pipelines import Pipeline, StepKind

TRIGGERS_GROUP = "podium-triggers"
"""The trigger runner's default group (``podium.triggers``' ``DEFAULT_GROUP_ID``)."""
SERVICE_PREFIX = "podium-service-"


@dataclass(frozen=True)
class GroupNaming:
    """The group names of one Podium deployment, derived from the coordinator's id."""

    coordinator: str = "podium-coordinator"

    @property
    def triggers(self) -> frozenset[str]:
        return frozenset({TRIGGERS_GROUP, f"{self.coordinator}-triggers"})

    @property
    def service_prefixes(self) -> tuple[str, ...]:
        return (SERVICE_PREFIX, f"{self.coordinator}-service-")

    def service_name(self, group: str) -> str | None:
        """``podium-service-<name>`` -> ``<name>``; None for any other group."""
        for prefix in self.service_prefixes:
            if group.startswith(prefix) and len(group) > len(prefix):
                return group[len(prefix) :]
        return None


@dataclass(frozen=True)
class StepTopic:
    """A step (or a step's compensation) and the service that answers its requests."""

    ref: StepRef
    service: str


StepTopics = Mapping[str, tuple[StepTopic, ...]]
"""Request topic -> the steps that send there."""


def step_topics(pipelines: Iterable[Pipeline]) -> StepTopics:
    """Every request topic of ``pipelines``, with its steps (compensations as
    ``compensate:<step>``), sorted."""
    found: dict[str, set[StepTopic]] = defaultdict(set)
    for pipeline in pipelines:
        for step in pipeline.steps:
            if step.kind is not StepKind.PIPELINE:  # a child run has no request topic
                ref = StepRef(pipeline.name, step.name)
                found[step.request_topic].add(StepTopic(ref, step.service))
            undo = step.compensation
            if undo is not None:
                ref = StepRef(pipeline.name, compensation_name(step.name))
                found[undo.request_topic].add(StepTopic(ref, undo.service))
    return {topic: tuple(sorted(steps, key=lambda s: s.ref)) for topic, steps in found.items()}


def is_podium_group(
    group: str, topics: Iterable[str], naming: GroupNaming, steps: StepTopics
) -> bool:
    """Whether the monitor watches ``group``: one of Podium's names, or a consumer of a
    step's request topic."""
    named = group == naming.coordinator or group in naming.triggers
    return named or naming.service_name(group) is not None or any(t in steps for t in topics)


def identify(
    group: str, topics: Iterable[str], naming: GroupNaming, steps: StepTopics
) -> GroupIdentity:
    """The role, service and steps of ``group``, which consumes ``topics``."""
    if group == naming.coordinator:
        return GroupIdentity(GroupRole.COORDINATOR)
    if group in naming.triggers:
        return GroupIdentity(GroupRole.TRIGGER)
    served = sorted({s for t in topics for s in steps.get(t, ())}, key=lambda s: s.ref)
    service = _service_of(naming.service_name(group), served)
    if service is None and not served:
        return GroupIdentity(GroupRole.OTHER)
    refs = tuple(dict.fromkeys(s.ref for s in served))
    return GroupIdentity(GroupRole.SERVICE, service, refs)


def _service_of(from_name: str | None, served: list[StepTopic]) -> str | None:
    """The group's own name wins; else the service the steps name, when they agree."""
    named = {s.service for s in served}
    if from_name is not None or len(named) != 1:
        return from_name
    return named.pop()
