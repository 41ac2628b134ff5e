"""Which events an event trigger takes, and the params it reads from them (pure).

Matching rules, per entry ``field: pattern`` of ``EventTrigger.match`` (all must hold):

- a missing field, or one whose value is null, never matches;
- the field's value is compared as text: strings as they are, booleans as
  ``true``/``false`` (as YAML and JSON write them), anything else via ``str()``
  (so ``size_bytes: "42"`` matches the integer 42);
- a pattern with a glob character (``*``, ``?``, ``[``) is matched with
  :func:`fnmatch.fnmatchcase` (case-sensitive on every platform, and ``*``
  crosses ``/``, so ``*.csv`` matches ``s3://bucket/in/a.csv``); any other
  pattern must equal the text exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from podium.pipelines import EventTrigger

GLOB_CHARACTERS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    """Whether ``pattern`` is a glob (has ``*``, ``?`` or ``[``) rather than a plain value."""
    return not GLOB_CHARACTERS.isdisjoint(pattern)


def as_text(value: Any) -> str:
    """The text a field's value is matched as: booleans as ``true``/``false``, else ``str``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def field_matches(pattern: str, value: Any) -> bool:
    """One ``field: pattern`` entry against the field's value (None: missing, no match)."""
    if value is None:
        return False
    text = as_text(value)
    return fnmatchcase(text, pattern) if is_glob(pattern) else text == pattern


def match_event(trigger: EventTrigger, record: Mapping[str, Any]) -> bool:
    """Whether every ``match`` entry of ``trigger`` holds for the event's fields.

    ``record`` is the decoded event as a mapping of field name to value; the
    topic and event type are checked by the caller (see ``event_type_matches``).
    """
    return all(
        field_matches(pattern, record.get(field)) for field, pattern in trigger.match.items()
    )


def event_type_matches(trigger: EventTrigger, type_name: str) -> bool:
    """Whether an event of Avro type ``type_name`` is the trigger's ``event``.

    The trigger may name the type short (``FileLanded``) or in full
    (``podium.v1.FileLanded``).
    """
    return trigger.event in (type_name, type_name.rpartition(".")[2])


def event_params(trigger: EventTrigger, record: Mapping[str, Any]) -> dict[str, Any]:
    """The run params the trigger maps from the event: ``param -> record[field]``.

    A missing or null field gives no param, so the pipeline's default applies
    (or ``resolve_params`` reports a required param as missing).
    """
    return {
        param: record[field]
        for param, field in trigger.params.items()
        if record.get(field) is not None
    }
