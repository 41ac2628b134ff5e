"""Load and validate topic specs before anything touches the cluster.

``load_topic_specs`` reads every file, resolves each topic against its file's
``defaults:`` (and the ``--replication-factor`` override), and checks what can
be checked without a broker: names, counts, config values, duplicates across
files and co-partitioned groups. All problems are reported at once, each
naming the file and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from podium.errors import TopicSpecError
from podium.topics._configs import config_problem
from podium.topics._files import read_topic_file, spec_files
from podium.topics._spec import (
    TopicEntry,
    TopicFile,
    TopicSpec,
    TopicSpecs,
    config_string,
    topic_name_problem,
)

OVERRIDE_OPTION = "--replication-factor"


def load_topic_specs(
    paths: Sequence[Path | str], *, replication_factor: int | None = None
) -> TopicSpecs:
    """Read and validate the spec files under ``paths``; raise TopicSpecError listing problems.

    ``replication_factor``, when given, replaces every topic's replication
    factor (production clusters run the same files with 3).
    """
    if replication_factor is not None and replication_factor < 1:
        _fail([f"{OVERRIDE_OPTION}: must be >= 1 (got {replication_factor})"])
    files, problems = spec_files([Path(p) for p in paths])
    specs: list[TopicSpec] = []
    groups: dict[str, tuple[str, tuple[str, ...]]] = {}
    for path in files:
        parsed, file_problems = read_topic_file(path)
        problems += file_problems
        if parsed is not None:
            problems += _resolve_file(str(path), parsed, replication_factor, specs, groups)
    problems += _cross_file_problems(specs, groups)
    if problems:
        _fail(problems)
    return TopicSpecs(
        topics=tuple(sorted(specs, key=lambda s: s.name)),
        copartitioned={name: members for name, (_, members) in sorted(groups.items())},
    )


def _fail(problems: list[str]) -> None:
    # The CLI prints "error: " before the message; one problem per line reads best.
    raise TopicSpecError("\nerror: ".join(problems))


def _resolve_file(
    file: str,
    parsed: TopicFile,
    override: int | None,
    specs: list[TopicSpec],
    groups: dict[str, tuple[str, tuple[str, ...]]],
) -> list[str]:
    problems: list[str] = []
    for index, entry in enumerate(parsed.topics):
        spec, entry_problems = _resolve_entry(file, index, entry, parsed, override)
        problems += entry_problems
        if spec is not None:
            specs.append(spec)
    for group, members in parsed.copartitioned.items():
        if group in groups:
            problems.append(
                f"{file}: copartitioned.{group}: group already declared in {groups[group][0]}"
            )
        groups.setdefault(group, (file, tuple(members)))
    return problems


def _resolve_entry(
    file: str, index: int, entry: TopicEntry, parsed: TopicFile, override: int | None
) -> tuple[TopicSpec | None, list[str]]:
    here = f"{file}: topics[{index}]"
    locations = _locations(file, here, entry, parsed, override)
    name_problem = topic_name_problem(entry.name)
    problems = [f"{here}.name: {name_problem}"] if name_problem else []
    partitions = entry.partitions or parsed.defaults.partitions
    replication = override or entry.replication_factor or parsed.defaults.replication_factor
    for field, value in (("partitions", partitions), ("replication_factor", replication)):
        if value is None:
            problems.append(f"{here}.{field}: is required (set it on the topic or in defaults:)")
    configs, config_problems = _resolve_configs(file, here, entry, parsed)
    problems += config_problems
    if problems or partitions is None or replication is None:
        return None, problems
    problems += _min_insync_problems(configs, replication, locations)
    spec = TopicSpec(
        name=entry.name,
        partitions=partitions,
        replication_factor=replication,
        configs=configs,
        description=entry.description,
        locations=locations,
    )
    return (None if problems else spec), problems


def _locations(
    file: str, here: str, entry: TopicEntry, parsed: TopicFile, override: int | None
) -> dict[str, str]:
    """Where each field of a resolved topic was written, for later error messages."""
    locations = {"name": f"{here}.name"}
    for field in ("partitions", "replication_factor"):
        from_entry = getattr(entry, field) is not None
        locations[field] = f"{here}.{field}" if from_entry else f"{file}: defaults.{field}"
    if override is not None:
        locations["replication_factor"] = f"{OVERRIDE_OPTION} {override}"
    for key in {**parsed.defaults.configs, **entry.configs}:
        in_entry = key in entry.configs
        where = f"{here}.configs" if in_entry else f"{file}: defaults.configs"
        locations[f"configs.{key}"] = f"{where}[{key}]"
    return locations


def _resolve_configs(
    file: str, here: str, entry: TopicEntry, parsed: TopicFile
) -> tuple[dict[str, str], list[str]]:
    configs: dict[str, str] = {}
    problems: list[str] = []
    for key, value in {**parsed.defaults.configs, **entry.configs}.items():
        where = f"{here}.configs" if key in entry.configs else f"{file}: defaults.configs"
        text, problem = _config_value(key, value)
        if problem:
            problems.append(f"{where}[{key}]: {problem}")
        elif text is not None:
            configs[key] = text
    return configs, problems


def _config_value(key: str, value: Any) -> tuple[str | None, str | None]:
    text = config_string(value)
    if text is None:
        return None, f"must be a string, number or boolean (got {value!r})"
    return text, config_problem(key, text)


def _min_insync_problems(
    configs: Mapping[str, str], replication: int, locations: Mapping[str, str]
) -> list[str]:
    """``min.insync.replicas`` above the replication factor makes acks=all writes impossible."""
    value = configs.get("min.insync.replicas")
    if value is None or int(value) <= replication:
        return []
    where = locations["configs.min.insync.replicas"]
    return [
        f"{where}: {value} is more than the replication factor {replication} "
        f"({locations['replication_factor']}); producers with acks=all could never write"
    ]


def _cross_file_problems(
    specs: list[TopicSpec], groups: Mapping[str, tuple[str, tuple[str, ...]]]
) -> list[str]:
    return _duplicate_problems(specs) + _copartition_problems(specs, groups)


def _duplicate_problems(specs: list[TopicSpec]) -> list[str]:
    """Same name twice, or names Kafka treats as colliding ('.' and '_' alike in metrics)."""
    problems: list[str] = []
    first: dict[str, TopicSpec] = {}
    for spec in specs:
        key = spec.name.replace(".", "_")
        earlier = first.setdefault(key, spec)
        if earlier is spec:
            continue
        if earlier.name == spec.name:
            what = f"{spec.name} is already declared at {earlier.where('name')}"
        else:
            what = (
                f"{spec.name} collides with {earlier.name} ({earlier.where('name')}): "
                "Kafka treats '.' and '_' alike and refuses both"
            )
        problems.append(f"{spec.where('name')}: {what}")
    return problems


def _copartition_problems(
    specs: list[TopicSpec], groups: Mapping[str, tuple[str, tuple[str, ...]]]
) -> list[str]:
    by_name = {spec.name: spec for spec in specs}
    problems: list[str] = []
    for group, (file, members) in groups.items():
        problems += _group_problems(f"{file}: copartitioned.{group}", members, by_name)
    return problems


def _group_problems(
    where: str, members: tuple[str, ...], by_name: Mapping[str, TopicSpec]
) -> list[str]:
    unknown = [
        f"{where}[{i}]: unknown topic {m!r}" for i, m in enumerate(members) if m not in by_name
    ]
    known = [by_name[m] for m in members if m in by_name]
    counts = sorted({spec.partitions for spec in known})
    if len(counts) <= 1:
        return unknown
    listing = ", ".join(f"{spec.name} has {spec.partitions}" for spec in known)
    return [
        *unknown,
        f"{where}: co-partitioned topics need the same partition count, but {listing}",
    ]
