"""Logging for every Podium process: text for people, JSON lines for log pipelines.

``PODIUM_LOG_FORMAT=json`` writes one JSON object per line (python-json-logger) with
``time``, ``level``, ``logger``, ``message`` and, on every line about a run, ``run_id``,
``pipeline``, ``step``, ``attempt``, ``trace_id`` and ``span_id`` (from the run's W3C
``traceparent``), so a line joins its trace and its metrics. The text format shows the
same run fields in brackets. Secrets never reach a formatter: a step's logger redacts
its lines before the record is made (``service/_context.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

RUN_FIELDS = ("run_id", "pipeline", "step", "attempt", "trace_id", "span_id")
"""Record attributes a line about a run carries (as ``extra``)."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(run_fields)s %(message)s"
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def trace_fields(trace: Mapping[str, str] | None) -> dict[str, str]:
    """``trace_id`` and ``span_id`` of a trace context's ``traceparent``; nothing when it
    is missing or malformed (an all-zero id is invalid in W3C, so it is dropped too)."""
    match = _TRACEPARENT.match((trace or {}).get("traceparent", ""))
    if match is None or not int(match[1], 16) or not int(match[2], 16):
        return {}
    return {"trace_id": match[1], "span_id": match[2]}


class _TextRunFields(logging.Filter):
    """``run_fields``: `` [run=... step=... attempt=...]`` for a line about a run, else
    empty, so the text format needs no placeholder per field."""

    def filter(self, record: logging.LogRecord) -> bool:
        shown = [(name, getattr(record, name, None)) for name in ("run_id", "step", "attempt")]
        parts = [f"{'run' if name == 'run_id' else name}={value}" for name, value in shown if value]
        record.run_fields = f" [{' '.join(parts)}]" if parts else ""
        return True


def formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields=JSON_RENAMES,
            timestamp=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, fmt: LogFormat = "text") -> None:
    """One handler on the root logger, in ``fmt``; aiokafka's chatter at WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    if fmt == "text":
        handler.addFilter(_TextRunFields())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
