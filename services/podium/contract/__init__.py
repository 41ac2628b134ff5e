"""Podium's wire contract, written once: what any service in any language reads and writes.

- ``_events``: the typed models of ``schemas/`` (namespace ``podium.v1``), the events on
  the topics, the status enums and the error record (pinned field for field to the
  ``.avsc`` files by ``tests/unit/test_events.py``);
- ``_headers``: the Kafka headers (W3C trace context, ``podium-run-id``/``-step``/
  ``-attempt``) and their helpers;
- ``_envelope``: the step request's ``input_json`` envelope, both the coordinator's half
  (writing it) and the service's (unwrapping it), and the ``compensate:<step>`` and
  ``<step>[<index>]`` (map item) naming.

The coordinator, the step-service SDK, the triggers, the API and the demo all take the
contract from here; ``topics/README.md`` and ``docs/`` describe it for other languages.
"""

from podium.contract._children import ParentStep
from podium.contract._envelope import (
    COMPENSATION_PREFIX,
    StepInput,
    compensated_step,
    compensation_envelope,
    compensation_name,
    map_item_name,
    map_item_of,
    split_input,
    step_envelope,
)
from podium.contract._events import (
    ENUMS,
    EVENT_TYPES,
    NAMESPACE,
    RECORD_MODELS,
    FileLanded,
    PipelineControlRequested,
    PodiumModel,
    RunCancelRequested,
    RunControlAction,
    RunControlRequested,
    RunRequested,
    RunStatusChanged,
    Signal,
    StepCancelRequested,
    StepCompleted,
    StepError,
    StepFailed,
    StepHeartbeat,
    StepRequested,
    Trigger,
    TriggerSource,
)
from podium.contract._headers import (
    ATTEMPT,
    RUN_ID,
    STEP,
    TRACE_HEADERS,
    HeaderGetter,
    Headers,
    HeaderSetter,
    encode_headers,
    header_value,
    routing_headers,
    trace_context,
)
from podium.contract._status import RunStatus, StepStatus

__all__ = [
    "ATTEMPT",
    "COMPENSATION_PREFIX",
    "ENUMS",
    "EVENT_TYPES",
    "NAMESPACE",
    "RECORD_MODELS",
    "RUN_ID",
    "STEP",
    "TRACE_HEADERS",
    "FileLanded",
    "HeaderGetter",
    "HeaderSetter",
    "Headers",
    "ParentStep",
    "PipelineControlRequested",
    "PodiumModel",
    "RunCancelRequested",
    "RunControlAction",
    "RunControlRequested",
    "RunRequested",
    "RunStatus",
    "RunStatusChanged",
    "Signal",
    "StepCancelRequested",
    "StepCompleted",
    "StepError",
    "StepFailed",
    "StepHeartbeat",
    "StepInput",
    "StepRequested",
    "StepStatus",
    "Trigger",
    "TriggerSource",
    "compensated_step",
    "compensation_envelope",
    "compensation_name",
    "encode_headers",
    "header_value",
    "map_item_name",
    "map_item_of",
    "routing_headers",
    "split_input",
    "step_envelope",
    "trace_context",
]
