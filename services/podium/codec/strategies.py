"""Hypothesis strategies for Podium's Avro records and typed events (for tests).

Needs ``hypothesis`` (the ``test`` extra); nothing in Podium imports this at run time.

    from podium.codec.strategies import avro_values, events
    @given(events(StepCompleted))
    def test_something(event): ...

Timestamps (``timestamp-millis``) are drawn as UTC datetimes with whole
milliseconds, so they survive the wire unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import strategies as st

from podium.codec._registry import SchemaRegistry
from podium.contract import PodiumModel

M = TypeVar("M", bound=PodiumModel)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
    "string": st.text(max_size=20),
    "bytes": st.binary(max_size=20),
}


def timestamps_millis() -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes with whole milliseconds, 1970 to 2200."""
    millis = st.integers(0, 230 * 365 * 24 * 3600 * 1000)
    return millis.map(lambda ms: _EPOCH + timedelta(milliseconds=ms))


def avro_values(schema: Any, names: Mapping[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values valid for a fastavro-parsed schema (named types looked up in ``names``)."""
    if names is None and isinstance(schema, dict):
        names = schema.get("__named_schemas", {})
    return _values(schema, names or {})


def _values(schema: Any, names: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    if isinstance(schema, list):
        return st.one_of([_values(branch, names) for branch in schema])
    if isinstance(schema, str):
        return _PRIMITIVES[schema] if schema in _PRIMITIVES else _values(names[schema], names)
    return _complex(schema, names)


def _complex(schema: Mapping[str, Any], names: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema["type"]
    if schema.get("logicalType") == "timestamp-millis":
        return timestamps_millis()
    if kind in ("record", "error"):
        fields = {f["name"]: _values(f["type"], names) for f in schema["fields"]}
        return st.fixed_dictionaries(fields)
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    if kind == "array":
        return st.lists(_values(schema["items"], names), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=8), _values(schema["values"], names), max_size=3)
    return _values(kind, names)


def records(registry: SchemaRegistry, name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Records valid for the current schema ``name`` of ``registry``."""
    return avro_values(registry.current(name).parsed)


def events(model: type[M], registry: SchemaRegistry | None = None) -> st.SearchStrategy[M]:
    """Typed events of ``model``, drawn from its schema so every valid shape can appear."""
    registry = registry or SchemaRegistry.load()
    return records(registry, model.avro_name).map(model.model_validate)


SAMPLE_TIME = datetime(2025, 6, 1, 8, 0, 0, 250000, tzinfo=UTC)


def sample_events() -> list[PodiumModel]:
    """One fully populated instance of every event type, in contract order."""
    from podium import contract as ev

    error = ev.StepError(error_type="IOError", error_message="disk full", retryable=True)
    trigger = ev.Trigger(source=ev.TriggerSource.EVENT, name="files", reference="in/0/42")
    t0 = SAMPLE_TIME
    run: dict[str, Any] = {"run_id": "run-1", "pipeline": "etl", "pipeline_version": "3"}
    attempt: dict[str, Any] = {"run_id": "run-1", "step": "load", "attempt": 2}
    return [
        ev.RunRequested(**run, params_json='{"day": 1}', trigger=trigger, idempotency_key="k",
                        requested_at=t0),
        ev.RunCancelRequested(run_id="run-1", reason="user", requested_by="ann", requested_at=t0),
        ev.RunControlRequested(run_id="run-1", action=ev.RunControlAction.RETRY, from_step="load",
                               pipeline_version="latest", reason="fixed", requested_by="ann",
                               requested_at=t0),
        ev.PipelineControlRequested(pipeline="etl", action=ev.RunControlAction.PAUSE,
                                    reason="maintenance", requested_by="ann", requested_at=t0),
        ev.Signal(run_id="run-1", name="approval:load", payload_json='{"decision": "approve"}',
                  sent_by="ann", sent_at=t0),
        ev.StepRequested(**attempt, pipeline="etl", pipeline_version="3", input_json="[1]",
                         deadline=t0 + timedelta(minutes=5), requested_at=t0),
        ev.StepCompleted(**attempt, output_json='{"rows": 3}', completed_at=t0, started_at=t0,
                         worker="w-1"),
        ev.StepFailed(**attempt, error_type="IOError", error_message="disk full",
                      retryable=False, retry_after_ms=500, details_json="{}", failed_at=t0,
                      worker="w-1"),
        ev.StepHeartbeat(**attempt, progress_json='{"done": 1}', extend_ms=1000, sent_at=t0),
        ev.StepCancelRequested(**attempt, reason="run cancelled", requested_at=t0),
        ev.RunStatusChanged(**run, status=ev.RunStatus.FAILED,
                            previous_status=ev.RunStatus.RUNNING, reason="step load failed",
                            step="load", step_status=ev.StepStatus.FAILED, attempt=2,
                            error=error, detail_json='{"retry": false}', changed_at=t0),
        ev.FileLanded(uri="s3://b/k.csv", size_bytes=2**40, checksum="sha256:00",
                      content_type="text/csv", source="sftp", landed_at=t0),
    ]  # fmt: skip
