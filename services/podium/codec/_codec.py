"""The codec: records and typed events to framed Avro messages and back.

Composes the converter (``_avro``: record <-> Avro binary body) with the framing
(``_framing``: single-object header). Decoding finds the writer schema by its
fingerprint (current or a kept history version) and reads it as the current
schema of the same name; every writer/reader pair is prepared once, up front.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from pydantic import ValidationError

from podium._speedups.avro_writer import BodyWriter, Unsupported, compile_writer
from podium.codec._avro import decode_body, encode_body
from podium.codec._compat import Incompatibility, check_compatibility
from podium.codec._errors import (
    CorruptMessageError,
    EncodeError,
    SchemaResolutionError,
    UnknownFingerprintError,
    WrongEventTypeError,
)
from podium.codec._framing import Frame, frame, unframe
from podium.codec._registry import SchemaEntry, SchemaRegistry
from podium.contract import RECORD_MODELS, PodiumModel

M = TypeVar("M", bound=PodiumModel)
SchemaRef = str | type[PodiumModel]
"""A schema named by full name, short name, or the model class that mirrors it."""
Expected = SchemaRef | Iterable[SchemaRef] | None
"""What a consumer accepts: one schema, several, or None for any."""
RawValue = bytes | bytearray | memoryview | None
"""A Kafka record value as it arrives; None is a tombstone."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded message: which schema, the record as a dict, and who wrote it."""

    schema_name: str
    """Full name of the (reader) schema, e.g. ``podium.v1.StepCompleted``."""
    record: dict[str, Any]
    writer_fingerprint: str
    """The writer schema's fingerprint, hex in wire order."""
    writer_version: str
    """``"current"``, or the history label (``"v1"``) when an older writer wrote it."""


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    writer: SchemaEntry
    reader: SchemaEntry
    problems: tuple[Incompatibility, ...]

    def read(self, body: bytes) -> dict[str, Any]:
        if self.problems:
            raise SchemaResolutionError(
                f"{self.writer.path.name} cannot be read as {self.reader.path.name}: "
                + "; ".join(map(str, self.problems)),
                writer=self.writer.name,
                reader=self.reader.name,
            )
        same = self.writer is self.reader
        record: dict[str, Any] = decode_body(
            self.writer.parsed, None if same else self.reader.parsed, body
        )
        return record


class Codec:
    """Encodes and decodes Podium's Avro single-object messages with one registry."""

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry if registry is not None else SchemaRegistry.load()
        self._plans = {entry.fingerprint: self._plan(entry) for entry in self.registry}
        self._other_plans: dict[tuple[bytes, str], _ReadPlan | None] = {}
        self._writers = {entry.name: _writer(entry) for entry in self.registry if entry.is_current}
        self._trusted: dict[SchemaRef, tuple[SchemaEntry, BodyWriter | None]] = {}
        """encode_trusted's schema and writer by the reference it was given (name or model)."""

    def _plan(self, writer: SchemaEntry) -> _ReadPlan:
        reader = self.registry.current(writer.name)
        if reader is writer:
            return _ReadPlan(writer, reader, ())
        return _ReadPlan(writer, reader, tuple(check_compatibility(reader.parsed, writer.parsed)))

    def encode(self, schema: SchemaRef, record: Mapping[str, Any]) -> bytes:
        """Frame ``record`` encoded with the current schema ``schema``."""
        entry = self._entry(schema)
        return frame(entry.fingerprint, encode_body(entry.parsed, record))

    def decode(self, data: RawValue, expected: Expected = None) -> Decoded:
        """Decode a framed message, optionally insisting on its type.

        The writer schema comes from the fingerprint (current or history); the
        record is read as the current schema of the same name, or, when that is
        not ``expected``, as an expected schema that can resolve it (a record
        alias); otherwise :class:`WrongEventTypeError`.
        """
        framed, plan = self._framed_plan(data, expected)
        return Decoded(
            schema_name=plan.reader.name,
            record=plan.read(framed.body),
            writer_fingerprint=framed.fingerprint_hex,
            writer_version=plan.writer.version,
        )

    def _framed_plan(self, data: RawValue, expected: Expected) -> tuple[Frame, _ReadPlan]:
        """The framed message and how to read its body, or why it cannot be read."""
        framed = unframe(data)
        plan = self._plans.get(framed.fingerprint)
        if plan is None:
            raise UnknownFingerprintError(framed.fingerprint_hex)
        return framed, self._toward(plan, self._names(expected))

    def _toward(self, plan: _ReadPlan, wanted: frozenset[str]) -> _ReadPlan:
        """The plan reading as an expected type: the writer's own, or one that resolves it."""
        if not wanted or plan.reader.name in wanted:
            return plan
        for name in sorted(wanted):
            other = self._other_reader(plan.writer, name)
            if other is not None:
                return other
        raise WrongEventTypeError(plan.reader.name, wanted)

    def _other_reader(self, writer: SchemaEntry, name: str) -> _ReadPlan | None:
        """Reading ``writer`` as schema ``name`` (e.g. via a record alias), if compatible."""
        key = (writer.fingerprint, name)
        if key not in self._other_plans:
            reader = self.registry.current(name)
            problems = check_compatibility(reader.parsed, writer.parsed)
            self._other_plans[key] = None if problems else _ReadPlan(writer, reader, ())
        return self._other_plans[key]

    def encode_event(self, event: PodiumModel) -> bytes:
        """Frame a typed event (any :class:`podium.contract.PodiumModel`)."""
        return self.encode_trusted(event.avro_name, event.model_dump())  # pydantic checked it

    def encode_trusted(self, schema: SchemaRef, record: Mapping[str, Any]) -> bytes:
        """Frame a record that Podium's own code built field by field from typed values,
        skipping validation (the coordinator's hot path: building and dumping a pydantic
        model first costs more than the encoding). Not for input from outside.

        Written by the schema's compiled writer (``_writer``: same bytes as fastavro, a third
        of the time), or by fastavro for a schema that writer does not cover."""
        entry, write = self._trusted.get(schema) or self._trusted_writer(schema)
        if write is None:
            return frame(entry.fingerprint, encode_body(entry.parsed, record, checked=True))
        try:
            body = write(record)
        except Exception as exc:
            raise EncodeError(f"{entry.name}: invalid record: {exc!r}") from exc
        return frame(entry.fingerprint, body)

    def _trusted_writer(self, schema: SchemaRef) -> tuple[SchemaEntry, BodyWriter | None]:
        entry = self._entry(schema)
        self._trusted[schema] = entry, self._writers[entry.name]
        return self._trusted[schema]

    @overload
    def decode_event(self, data: RawValue, expected: type[M]) -> M: ...
    @overload
    def decode_event(self, data: RawValue, expected: None = None) -> PodiumModel: ...
    def decode_event(
        self, data: RawValue, expected: type[PodiumModel] | None = None
    ) -> PodiumModel:
        """Decode into the typed model; ``expected`` pins the type (``WrongEventTypeError``)."""
        framed, plan = self._framed_plan(data, expected)  # no Decoded: only its record is used
        record = plan.read(framed.body)
        name = plan.reader.name
        model = expected or RECORD_MODELS.get(name)
        if model is None:
            raise CorruptMessageError(f"{name} has no typed model in podium.contract")
        try:
            return model.model_validate(record)
        except ValidationError as exc:
            raise CorruptMessageError(f"{name} does not fit its model: {exc}") from exc

    def _entry(self, schema: SchemaRef) -> SchemaEntry:
        name = schema if isinstance(schema, str) else schema.avro_name
        try:
            return self.registry.current(name)
        except KeyError as exc:
            raise EncodeError(f"no schema named {name!r} in {self.registry.directory}") from exc

    def _names(self, expected: Expected) -> frozenset[str]:
        if expected is None:
            return frozenset()
        refs = [expected] if isinstance(expected, str | type) else list(expected)
        return frozenset(self._known(ref) for ref in refs)

    def _known(self, ref: SchemaRef) -> str:
        name = ref if isinstance(ref, str) else ref.avro_name
        if name not in self.registry:
            raise ValueError(f"expected schema {name!r} is not in {self.registry.directory}")
        return self.registry.current(name).name


def _writer(entry: SchemaEntry) -> BodyWriter | None:
    """The compiled writer of a current schema, or None where fastavro must write it."""
    try:
        return compile_writer(entry.parsed)
    except Unsupported:
        return None
