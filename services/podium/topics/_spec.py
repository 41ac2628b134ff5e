"""The shape of ``topics/*.yaml`` and of the validated topic specs.

Two layers: ``TopicFile`` mirrors one YAML file exactly (unknown keys are
errors), and ``TopicSpec`` is one resolved topic with defaults and overrides
applied, remembering where each field came from so later errors (such as a
replication factor above the broker count) can name the file and field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicDefaults(_Strict):
    """``defaults:`` of one file: used by each topic of that file that leaves a field out."""

    partitions: StrictInt | None = Field(default=None, ge=1)
    replication_factor: StrictInt | None = Field(default=None, ge=1)
    configs: dict[StrictStr, Any] = Field(default_factory=dict)


class TopicEntry(_Strict):
    """One item of ``topics:`` as written in the file."""

    name: StrictStr
    description: StrictStr = ""
    partitions: StrictInt | None = Field(default=None, ge=1)
    replication_factor: StrictInt | None = Field(default=None, ge=1)
    configs: dict[StrictStr, Any] = Field(default_factory=dict)


class TopicFile(_Strict):
    """One ``topics/*.yaml`` file."""

    defaults: TopicDefaults = Field(default_factory=TopicDefaults)
    topics: list[TopicEntry] = Field(default_factory=list)
    copartitioned: dict[str, list[StrictStr]] = Field(default_factory=dict)


class TopicSpec(_Strict):
    """One declared topic, resolved: every field set, config values as Kafka strings."""

    name: str
    partitions: int = Field(ge=1)
    replication_factor: int = Field(ge=1)
    configs: Mapping[str, str] = Field(default_factory=dict)
    description: str = ""
    # field name -> "topics/x.yaml: topics[2].partitions", for error messages.
    locations: Mapping[str, str] = Field(default_factory=dict, repr=False)

    def where(self, field: str) -> str:
        """Where ``field`` of this topic was declared (file and path, or the CLI option)."""
        return self.locations.get(field, f"topic {self.name}: {field}")


class TopicSpecs(_Strict):
    """All declared topics (sorted by name) and the groups that must share a partition count."""

    topics: tuple[TopicSpec, ...] = ()
    copartitioned: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)

    def names(self) -> list[str]:
        return [spec.name for spec in self.topics]

    def by_name(self) -> dict[str, TopicSpec]:
        return {spec.name: spec for spec in self.topics}


def topic_name_problem(name: str) -> str | None:
    """Why Kafka would refuse ``name`` as a topic name, or None when it is legal."""
    if name in ("", ".", ".."):
        return f"{name!r} is not a legal topic name"
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        return f"is {len(name)} characters long; Kafka allows at most {MAX_TOPIC_NAME_LENGTH}"
    if not _LEGAL_NAME.match(name):
        return f"{name!r} may only contain letters, digits, '.', '_' and '-'"
    return None


def config_string(value: Any) -> str | None:
    """A YAML scalar as the string Kafka stores (``true`` -> ``"true"``), None if not a scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None
