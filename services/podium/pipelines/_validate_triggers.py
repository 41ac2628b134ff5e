"""Checks of declared params, triggers and topic names (pure; return problems)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from croniter import croniter

from podium.events import OwnSchemas
from podium.pipelines._errors import Problem
from podium.pipelines._model import (
    NAME_PATTERN,
    CronTrigger,
    EventFormat,
    EventTrigger,
    ParamSpec,
    ParamType,
    Pipeline,
)
from podium.pipelines._params import describe_value, type_matches
from podium.secrets import HOW, parse_reference

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_NAME = re.compile(NAME_PATTERN)
_CRON_ALIASES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"})


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` is not a legal Kafka topic name, or None if it is."""
    if _TOPIC.match(topic) and topic not in (".", ".."):
        return None
    return (
        f"bad topic name {topic!r}: use 1 to 249 letters, digits, '.', '_' or '-' "
        "(and not '.' or '..' alone)"
    )


def check_params(pipeline: Pipeline) -> Iterator[Problem]:
    for name, spec in pipeline.params.items():
        if not _NAME.match(name):
            yield Problem(
                f"params.{name}",
                "param names are lower case letters, digits, '_' or '-', starting with a letter",
            )
        yield from _default_problems(name, spec)
        yield from _secret_problems(name, spec)


def _secret_problems(name: str, spec: ParamSpec) -> Iterator[Problem]:
    if not spec.secret:
        return
    if spec.type is not ParamType.STRING:
        yield Problem(f"params.{name}.type", "a secret param is a string (its reference)")
    if spec.default is not None and parse_reference(spec.default) is None:
        yield Problem(f"params.{name}.default", f"a secret's default is a reference: {HOW}")


def _default_problems(name: str, spec: ParamSpec) -> Iterator[Problem]:
    if spec.default is None:
        return
    if spec.required:
        yield Problem(
            f"params.{name}.default",
            "a required param takes no default: drop 'required: true' or the default",
        )
    if not type_matches(spec.type, spec.default):
        message = f"expected {spec.type}, got {describe_value(spec.default)}"
        yield Problem(f"params.{name}.default", message)


def check_triggers(pipeline: Pipeline) -> Iterator[Problem]:
    for index, trigger in enumerate(pipeline.triggers):
        where = f"triggers[{index}]"
        if isinstance(trigger, EventTrigger):
            yield from _event_problems(pipeline, trigger, where)
        else:
            yield from _cron_problems(pipeline, trigger, where)


def _event_problems(pipeline: Pipeline, trigger: EventTrigger, where: str) -> Iterator[Problem]:
    if message := topic_problem(trigger.topic):
        yield Problem(f"{where}.topic", message)
    for kind, patterns in (("match", trigger.match), ("headers", trigger.headers)):
        for name, pattern in patterns.items():
            if message := glob_problem(pattern):
                yield Problem(f"{where}.{kind}.{name}", message)
    for param, field in trigger.params.items():
        if param not in pipeline.params:
            yield Problem(f"{where}.params.{param}", _unknown_param(pipeline, param))
        elif not field.removeprefix("header:").strip():
            yield Problem(f"{where}.params.{param}", "name the event field to read the param from")
    if (
        trigger.priority_from is not None
        and not trigger.priority_from.removeprefix("header:").strip()
    ):
        yield Problem(f"{where}.priority_from", "name the event field to read the priority from")
    yield from _missing_required(pipeline, trigger.params, where)
    yield from format_problems(trigger, where)


def format_problems(trigger: EventTrigger, where: str) -> Iterator[Problem]:
    """What the trigger's ``format`` needs and refuses (see ``EventFormat``)."""
    if trigger.format is EventFormat.AVRO:
        yield from _own_schema_problems(trigger, where)
    elif trigger.schemas:
        yield Problem(f"{where}.schemas", _SCHEMAS_ELSEWHERE[trigger.format])
    if trigger.format is EventFormat.JSON and trigger.event is not None:
        yield Problem(
            f"{where}.event",
            "JSON records carry no type name: match on the field that says the type "
            "instead (match: {type: OrderPlaced})",
        )


_SCHEMAS_ELSEWHERE = {
    EventFormat.PODIUM: "Podium's own events are read with schemas/: drop schemas, or set "
    "format: avro for a team's own schemas",
    EventFormat.CONFLUENT: "Confluent-framed records name their schema in the Schema "
    "Registry: drop schemas",
    EventFormat.JSON: "JSON records need no schema: drop schemas",
}


def _own_schema_problems(trigger: EventTrigger, where: str) -> Iterator[Problem]:
    if not trigger.schemas:
        yield Problem(
            f"{where}.schemas",
            "format: avro reads records with the team's own schemas: name the .avsc files "
            "the records are written with (next to the pipeline file)",
        )
    names: list[str] = []
    for index, schema in enumerate(trigger.schemas):
        try:
            names.extend(parsed.name for parsed in OwnSchemas.of([schema]).by_fingerprint.values())
        except Exception as exc:  # fastavro's parse errors have no common base
            yield Problem(f"{where}.schemas[{index}]", f"not a valid Avro schema: {exc}")
    wanted = trigger.event
    if wanted is not None and names and not any(wanted in (n, n.rpartition(".")[2]) for n in names):
        message = f"no schema of the trigger is named {wanted!r} (they are {', '.join(names)})"
        yield Problem(f"{where}.event", message)


def _cron_problems(pipeline: Pipeline, trigger: CronTrigger, where: str) -> Iterator[Problem]:
    if message := cron_problem(trigger.schedule):
        yield Problem(f"{where}.schedule", message)
    for param, value in trigger.params.items():
        spec = pipeline.params.get(param)
        if spec is None:
            yield Problem(f"{where}.params.{param}", _unknown_param(pipeline, param))
        elif not type_matches(spec.type, value):
            message = f"expected {spec.type}, got {describe_value(value)}"
            yield Problem(f"{where}.params.{param}", message)
    yield from _missing_required(pipeline, trigger.params, where)


def _missing_required(
    pipeline: Pipeline, supplied: Mapping[str, object], where: str
) -> Iterator[Problem]:
    """Required params this trigger never supplies: every run it starts would be refused."""
    for name, spec in pipeline.params.items():
        if spec.required and spec.default is None and name not in supplied:
            message = f"required param {name!r} is not supplied, so every run would be refused"
            yield Problem(f"{where}.params", message)


def _unknown_param(pipeline: Pipeline, name: str) -> str:
    return f"unknown param {name!r} (declared: {', '.join(pipeline.params) or 'none'})"


def cron_problem(schedule: str) -> str | None:
    """Why ``schedule`` is not a 5-field cron expression (or an @daily-style alias)."""
    text = schedule.strip()
    if text in _CRON_ALIASES:
        return None
    if len(text.split()) == 5 and bool(croniter.is_valid(text)):
        return None
    return (
        f"bad cron schedule {schedule!r}: write 5 fields 'minute hour day month weekday' "
        "(UTC), e.g. '*/15 * * * *', or @hourly, @daily, @weekly, @monthly, @yearly"
    )


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob (``*``, ``?``, ``[...]``), or None."""
    if not pattern:
        return "empty pattern: it would match only an empty value"
    start = pattern.find("[")
    while start >= 0:
        end = _set_end(pattern, start)
        if end < 0:
            return f"glob {pattern!r} has a '[' without its closing ']'"
        start = pattern.find("[", end + 1)
    return None


def _set_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the set opened at ``start`` (fnmatch rules), or -1."""
    index = start + 1
    if pattern[index : index + 1] == "!":
        index += 1
    if pattern[index : index + 1] == "]":
        index += 1
    return pattern.find("]", index)
