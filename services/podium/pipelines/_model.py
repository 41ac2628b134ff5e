"""Pipeline definitions: the typed model behind ``pipelines/*.yaml``.

Python users may build these in code; YAML files load into the same models.
Field-level rules live here; rules across fields and steps (cycles, unknown
dependencies, condition references) live in the validation module.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from podium.pipelines._durations import Duration
from podium.pipelines._references import RUN_ID_REFERENCE, reference_problem

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
"""Pipeline, step, service and param names: lower case, digits, ``_`` and ``-``."""

PRIORITY_RANGE = range(-1000, 1001)
"""A run's priority (``podium run --priority``, the API's ``priority``, a trigger's
``priority:``): an int in -1000..1000, higher first among runs waiting for admission."""

JsonValue = Any
"""A JSON-compatible value (params, step inputs and outputs)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    OBJECT = "object"
    ARRAY = "array"


class ParamSpec(_Strict):
    """A declared run parameter; a run's params are checked against these."""

    type: ParamType = ParamType.STRING
    default: JsonValue = None
    required: bool = False
    description: str = ""
    secret: bool = False
    """A run gives a reference (``env:NAME``, ``file:/path``), never the value: see
    :mod:`podium.secrets`."""


class RetryPolicy(_Strict):
    """How often and how patiently a failed step is tried again."""

    max_attempts: int = Field(default=3, ge=1, le=100)
    initial_backoff: Duration = 1.0
    factor: float = Field(default=2.0, ge=1.0, le=10.0)
    max_backoff: Duration = 60.0
    jitter: float = Field(default=0.1, ge=0.0, le=1.0)


class RateLimit(_Strict):
    """At most ``burst`` runs start at once, then ``runs_per_second`` (a token bucket); the
    runs beyond wait ``queued`` (see docs/priorities.md)."""

    runs_per_second: float = Field(le=1_000_000)
    burst: int = Field(default=1, ge=1, le=100_000)

    @field_validator("runs_per_second")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(
                f"must be more than 0, got {value:g}: write a rate such as 0.5 (one run every "
                "2 seconds), or remove rate_limit for no limit"
            )
        return value


class OnFailure(StrEnum):
    FAIL = "fail"
    CONTINUE = "continue"
    COMPENSATE = "compensate"


class ItemFailure(StrEnum):
    """What a map step (``for_each``) does when an item fails for good: ``fail`` the step
    at once (the items in flight are told to stop), or ``continue`` with the other items
    and report which failed (see docs/map.md)."""

    FAIL = "fail"
    CONTINUE = "continue"


MAX_PARALLEL_RANGE = range(1, 1001)
"""A map step's ``max_parallel``: items in flight at once, 1..1000 (default 10)."""


class TriggerRule(StrEnum):
    """When a step with dependencies starts, in Airflow's names (see docs/trigger-rules.md).

    Statuses are the dependencies' own: a dependency that failed under ``on_failure:
    continue`` is ``failed`` (the only failure a running run can show its dependants: any
    other ends or compensates the run). A rule that can no longer be met skips the step.
    A step without dependencies starts whatever its rule.
    """

    ALL_DONE = "all_done"  # the default: Podium's only rule before rules existed
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    NONE_FAILED = "none_failed"
    NONE_SKIPPED = "none_skipped"
    ONE_SUCCESS = "one_success"  # the one_* rules start as soon as one dependency has
    ONE_FAILED = "one_failed"

    @property
    def meaning(self) -> str:
        """The rule in a few words, as ``podium pipelines validate`` prints it."""
        return _RULE_MEANINGS[self]


_RULE_MEANINGS = {
    TriggerRule.ALL_DONE: "every dependency finished, however",
    TriggerRule.ALL_SUCCESS: "every dependency succeeded",
    TriggerRule.ALL_FAILED: "every dependency failed",
    TriggerRule.NONE_FAILED: "every dependency succeeded or was skipped",
    TriggerRule.NONE_SKIPPED: "every dependency succeeded or failed",
    TriggerRule.ONE_SUCCESS: "as soon as one dependency succeeded",
    TriggerRule.ONE_FAILED: "as soon as one dependency failed",
}
DEFAULT_TRIGGER_RULE = TriggerRule.ALL_DONE


class Compensation(_Strict):
    """The step that undoes a completed step when the run compensates."""

    service: str = Field(pattern=NAME_PATTERN)
    topic: str | None = None
    input: dict[str, JsonValue] = Field(default_factory=dict)
    timeout: Duration = 300.0

    @property
    def request_topic(self) -> str:
        return self.topic or f"podium.steps.{self.service}"


class EventFormat(StrEnum):
    """How an event trigger reads its topic's values (see docs/triggers.md)."""

    PODIUM = "podium"
    """Podium's own events (``schemas/``), Avro single-object encoded."""
    JSON = "json"
    """A JSON object per record (UTF-8)."""
    AVRO = "avro"
    """Avro single-object encoding with the team's own schemas (``schemas`` of the trigger)."""
    CONFLUENT = "confluent"
    """Confluent framing (magic byte 0, 4-byte schema id) resolved by a Schema Registry."""


KEY_SOURCES = ("field:", "header:")
RECORD_KEY = "record"


class EventTrigger(_Strict):
    """Events of a type on a topic start a run.

    ``match`` maps an event field (a dotted path into nested objects) to a glob
    its value must match (``*.csv``; a pattern without ``*?[`` is plain
    equality), ``headers`` a record header to one; ``params`` maps a param name
    to the field its value is read from (``uri: uri``, ``id: order.id``, or
    ``header:x-tenant``). ``from`` (``start`` in Python) says which events count:
    ``end`` (the default) those published since the trigger was first published,
    ``beginning`` the topic's whole history, a timestamp with its zone those
    stamped at or after it. ``key`` says what makes two records the same event
    (one run): ``field:<path>``, ``header:<name>`` or ``record`` (its topic,
    partition and offset). ``dlq`` sends records the trigger cannot decode to
    ``<topic>.dlq`` (the default for Podium's own events; other topics belong to
    their teams, so there it must be asked for).
    """

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: Literal["event"] = "event"
    topic: str
    format: EventFormat = EventFormat.PODIUM
    event: str | None = None
    """The event's type: its Avro name, full or short (podium's default: FileLanded)."""
    schemas: tuple[dict[str, JsonValue], ...] = ()
    """Writer schemas of ``format: avro`` (files next to the pipeline file are read in)."""
    match: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    key: str | None = None
    dlq: bool | None = None
    start: Literal["end", "beginning"] | AwareDatetime = Field(default="end", alias="from")
    priority: int = Field(default=0, ge=PRIORITY_RANGE.start, le=PRIORITY_RANGE.stop - 1)
    """The priority of the runs it starts (see ``PRIORITY_RANGE``)."""
    priority_from: str | None = None
    """A field path (or ``header:<name>``) whose integer sets each run's priority instead;
    an event without it gets ``priority``, one whose value is no integer in range is
    refused as its params would be."""

    @property
    def event_type(self) -> str | None:
        """The Avro type name the trigger takes; None: any (JSON has no type name)."""
        if self.event is None and self.format is EventFormat.PODIUM:
            return "FileLanded"
        return self.event

    @property
    def keyed_by_record(self) -> bool:
        """``key: record``: each record is its own event (redeliveries aside)."""
        return self.key == RECORD_KEY

    @property
    def dead_letters(self) -> bool:
        """Whether undecodable records go to ``<topic>.dlq`` (else they are counted)."""
        return self.format is EventFormat.PODIUM if self.dlq is None else self.dlq

    @field_validator("schemas", mode="before")
    @classmethod
    def _schemas_are_read(cls, value: Any) -> Any:
        """A file name the loader did not read in (the model is built from data)."""
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, str):
                raise ValueError(
                    f"schema {item!r} is a file name: name it in a pipeline file "
                    "(read relative to that file) or give the schema itself"
                )
        return items

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str | None) -> str | None:
        if value is None or value == RECORD_KEY:
            return value
        source, _, name = value.partition(":")
        if f"{source}:" not in KEY_SOURCES or not name.strip():
            raise ValueError(
                "expected field:<path> (an event field), header:<name> (a record header) "
                f"or record (topic, partition and offset); got {value[:60]!r}"
            )
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _one_of_the_starts(cls, value: Any) -> Any:
        """One clear message instead of one per member of the union."""
        if value in ("end", "beginning"):
            return value
        try:
            when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            when = None
        if when is None or when.tzinfo is None:
            raise ValueError(
                "expected end (the default: events published after the trigger is "
                "applied), beginning (the topic's whole history) or a timestamp with "
                f"its zone, such as 2026-01-01T00:00:00Z; got {str(value)[:40]!r}"
            )
        return when


class StepKind(StrEnum):
    """Who completes a step: a service, Podium's waiter (on an event, a person or a signal),
    or a child run of another pipeline (``pipeline``, see docs/sub-pipelines.md)."""

    SERVICE = "service"
    EVENT = "event"
    APPROVAL = "approval"
    SIGNAL = "signal"
    PIPELINE = "pipeline"


_WAITING_KINDS = frozenset({StepKind.EVENT, StepKind.APPROVAL, StepKind.SIGNAL})


WAITER_SERVICE = "waits"
"""The built-in service behind ``event``, ``approval`` and ``signal`` steps: their requests
go to ``podium.steps.waits``, which the coordinator's waiter serves."""

CHILD_SERVICE = "pipeline"
"""The name a ``kind: pipeline`` step stands under in ``service``: no service runs it, the
coordinator starts a child run on ``podium.runs``."""


class Correlation(_Strict):
    """How an event names the run (and so the step) it completes: a header or a field of
    the event equals ``equals``, a reference into the run (``run_id``, ``params.<path>``,
    ``input.<path>``, ``steps.<dependency>.output.<path>``)."""

    header: str | None = None
    field: str | None = None
    equals: str = RUN_ID_REFERENCE

    @field_validator("equals")
    @classmethod
    def _a_reference(cls, value: str) -> str:
        if problem := reference_problem(value):
            raise ValueError(problem)
        return value

    @property
    def rule(self) -> str:
        """``header:<name>`` or ``field:<path>``: what the event is looked up by."""
        return f"header:{self.header}" if self.header else f"field:{self.field}"


class EventWait(_Strict):
    """What a ``kind: event`` step waits for: an event on a topic that names its run."""

    topic: str
    format: EventFormat = EventFormat.JSON
    event: str | None = None
    schemas: tuple[dict[str, JsonValue], ...] = ()
    match: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    correlate: Correlation = Field(default_factory=lambda: Correlation(header="podium-run-id"))
    fails_on: dict[str, str] | None = None
    """Field globs (as ``match``) of events that fail the step instead, with the event."""
    keep: Duration = 3600.0
    """How long an event that arrives before its run reaches the step is kept for it."""

    @cached_property
    def reading(self) -> EventTrigger:
        """The trigger-shaped view the record reader and matcher take (built once: the
        reader caches parsed schemas per definition)."""
        return EventTrigger(
            topic=self.topic,
            format=self.format,
            event=self.event,
            schemas=self.schemas,
            match=self.match,
            headers=self.headers,
        )


class Approval(_Strict):
    """A ``kind: approval`` step: what happens when nobody decides within its timeout."""

    on_timeout: Literal["fail", "approve", "reject"] = "fail"


class ChildPipeline(_Strict):
    """What a ``kind: pipeline`` step runs: a child run of pipeline ``name``, pinned to
    ``version`` (None: the latest when the child starts), with ``params`` mapped from the
    parent: a string is a reference into the parent's run (as a correlation's ``equals``),
    any other value (number, boolean, list, object) is passed as it is. A literal string
    goes in the step's ``input`` and is referenced as ``input.<key>``."""

    name: str = Field(pattern=NAME_PATTERN)
    version: int | None = Field(default=None, ge=1)
    params: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _references(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        for name, given in value.items():
            if isinstance(given, str) and (problem := reference_problem(given)):
                raise ValueError(f"params.{name}: {problem} (a literal string goes in input)")
        return value


class Step(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    kind: StepKind = StepKind.SERVICE
    service: str = Field(pattern=NAME_PATTERN)
    topic: str | None = None
    after: tuple[str, ...] = ()
    trigger_rule: TriggerRule = DEFAULT_TRIGGER_RULE
    """Which outcomes of ``after`` start the step (see ``TriggerRule``)."""
    when: str | None = None
    input: dict[str, JsonValue] = Field(default_factory=dict)
    timeout: Duration = 300.0
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    on_failure: OnFailure = OnFailure.FAIL
    compensation: Compensation | None = None
    event: EventWait | None = None
    """``kind: event``: the event that completes the step."""
    signal: str | None = None
    """``kind: signal``: the signal's name (default: the step's name)."""
    approval: Approval | None = None
    pipeline: ChildPipeline | None = None
    """``kind: pipeline``: the child run it starts."""
    for_each: str | None = None
    """A map step: one attempt per item of the list this reference names
    (``steps.<dependency>.output.<path>`` or ``params.<path>``), see docs/map.md."""
    max_parallel: int = Field(
        default=10, ge=MAX_PARALLEL_RANGE.start, le=MAX_PARALLEL_RANGE.stop - 1
    )
    """A map step's items in flight at once."""
    on_item_failure: ItemFailure = ItemFailure.FAIL

    @model_validator(mode="before")
    @classmethod
    def _waits_are_served_by_the_waiter(cls, data: Any) -> Any:
        """A waiting step names no service (the waiter serves it), nor does a pipeline step
        (the coordinator starts its child); both are tried once by default: a second attempt
        would wait (or run the child) as long again."""
        if not isinstance(data, dict) or data.get("kind", "service") == "service":
            return data
        service = CHILD_SERVICE if data.get("kind") == "pipeline" else WAITER_SERVICE
        return {"service": service, "retry": {"max_attempts": 1}, **data}

    @property
    def request_topic(self) -> str:
        """Where this step's StepRequested goes: ``podium.steps.<service>`` unless set."""
        return self.topic or f"podium.steps.{self.service}"

    @property
    def waits(self) -> bool:
        """Whether the waiter completes this step (kinds event, approval, signal)."""
        return self.kind in _WAITING_KINDS

    @property
    def signal_name(self) -> str:
        """The signal a ``signal`` step waits for; ``approval:<step>`` for an approval."""
        if self.kind is StepKind.APPROVAL:
            return f"approval:{self.name}"
        return self.signal or self.name


class CronTrigger(_Strict):
    """A schedule (5-field cron, UTC) starts one run per tick, with ``priority``."""

    type: Literal["cron"] = "cron"
    schedule: str
    params: dict[str, JsonValue] = Field(default_factory=dict)
    priority: int = Field(default=0, ge=PRIORITY_RANGE.start, le=PRIORITY_RANGE.stop - 1)


Trigger = Annotated[EventTrigger | CronTrigger, Field(discriminator="type")]


class Pipeline(_Strict):
    """A named, versioned pipeline: params, triggers and a DAG of steps."""

    name: str = Field(pattern=NAME_PATTERN)
    version: int = Field(ge=1)
    description: str = ""
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)
    max_active_runs: int | None = Field(default=None, ge=1)
    rate_limit: RateLimit | None = None

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    @property
    def key(self) -> str:
        """The registry key: ``name@version``."""
        return f"{self.name}@{self.version}"
