"""Which events an event trigger takes, and the params it reads from them (pure).

Matching rules, per entry ``field: pattern`` of ``EventTrigger.match`` and ``header:
pattern`` of ``EventTrigger.headers`` (all must hold):

- a field is a name or a dotted path into nested objects (``order.customer.id``; a
  digit indexes a list: ``items.0.sku``); a key that itself holds a dot is found too;
- a missing field or header, or a field whose value is null, never matches;
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

from podium.pipelines import EventTrigger, field_value

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


HEADER_PREFIX = "header:"


def match_event(
    trigger: EventTrigger, record: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> bool:
    """Whether every ``match`` and ``headers`` entry of ``trigger`` holds for the event.

    ``record`` is the decoded event as a mapping of field name to value; the
    topic and event type are checked by the caller (see ``event_type_matches``).
    """
    given = headers or {}
    return all(
        field_matches(pattern, field_value(record, field))
        for field, pattern in trigger.match.items()
    ) and all(field_matches(pattern, given.get(name)) for name, pattern in trigger.headers.items())


def event_type_matches(trigger: EventTrigger, type_name: str | None) -> bool:
    """Whether an event of Avro type ``type_name`` (None: JSON, no type) is the trigger's.

    The trigger may name the type short (``FileLanded``) or in full
    (``podium.v1.FileLanded``); a trigger naming none takes every type.
    """
    wanted = trigger.event_type
    if wanted is None:
        return True
    return type_name is not None and wanted in (type_name, type_name.rpartition(".")[2])


def event_value(record: Mapping[str, Any], headers: Mapping[str, str], source: str) -> Any:
    """What a params entry reads: ``header:<name>`` a header, anything else a field path."""
    if source.startswith(HEADER_PREFIX):
        return headers.get(source[len(HEADER_PREFIX) :])
    return field_value(record, source)


def event_params(
    trigger: EventTrigger, record: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The run params the trigger maps from the event: ``param -> record[field]`` (or a
    header's text).

    A missing or null field gives no param, so the pipeline's default applies
    (or ``resolve_params`` reports a required param as missing).
    """
    found = {
        param: event_value(record, headers or {}, source)
        for param, source in trigger.params.items()
    }
    return {param: value for param, value in found.items() if value is not None}
