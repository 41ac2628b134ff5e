"""Reading a trigger topic's record the ways its triggers ask (the shell of ``_decode``).

A topic's triggers may read it in several formats (a team's topic can carry JSON and
Avro records side by side). Each format is read once per record; a format that cannot
read the record is ignored when another can. A record no format reads is undecodable:
it goes to ``<topic>.dlq`` when a trigger that tried asked for dead letters (Podium's
own events do by default), else it is only counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from podium.codec import Codec, DecodeError
from podium.events import (
    ForeignEvent,
    OwnSchemas,
    SchemaRegistryClient,
    SchemaRegistryUnavailable,
    read_json_event,
    read_registered,
    split_confluent,
)
from podium.pipelines import EventFormat, EventTrigger
from podium.triggers._plan import EventSource

MAX_CACHED_DEFINITIONS = 256


@dataclass
class Reading:
    """What a record is in each format its triggers read, and why it is not in others."""

    sources: list[EventSource] = field(default_factory=list)
    failures: list[DecodeError] = field(default_factory=list)
    dead_letter: bool = False
    """Whether a trigger whose format failed asked for dead letters."""

    @property
    def undecodable(self) -> DecodeError | None:
        """The first failure when no format read the record (None: it was read)."""
        return None if self.sources or not self.failures else self.failures[0]


class RecordReader:
    """Reads records for the triggers of their topic; fetches registry schemas as needed."""

    def __init__(self, codec: Codec, registry: SchemaRegistryClient | None = None) -> None:
        self.codec = codec
        self.registry = registry
        self._own: dict[int, tuple[object, OwnSchemas]] = {}

    async def read(self, record: Any, triggers: Iterable[EventTrigger]) -> Reading:
        """Raises SchemaRegistryUnavailable only (the record is kept and retried)."""
        by_format: dict[EventFormat, list[EventTrigger]] = {}
        for trigger in triggers:
            by_format.setdefault(trigger.format, []).append(trigger)
        reading = Reading()
        for form, wanting in by_format.items():
            try:
                event = await self._event(form, record.value, wanting)
            except DecodeError as exc:
                reading.failures.append(exc)
                reading.dead_letter |= any(trigger.dead_letters for trigger in wanting)
                continue
            reading.sources.append(_source(record, form, event))
        return reading

    async def _event(
        self, form: EventFormat, value: bytes | None, triggers: list[EventTrigger]
    ) -> ForeignEvent:
        if form is EventFormat.JSON:
            return read_json_event(value)
        if form is EventFormat.AVRO:
            return self._own_schemas(triggers).read(value)
        if form is EventFormat.CONFLUENT:
            return await self._registered(value)
        event = self.codec.decode_event(value)
        return ForeignEvent(event.avro_name, event.model_dump(mode="json"))

    async def _registered(self, value: bytes | None) -> ForeignEvent:
        schema_id, payload = split_confluent(value)
        if self.registry is None:
            raise SchemaRegistryUnavailable(
                "a format: confluent trigger needs a Schema Registry: set "
                "PODIUM_SCHEMA_REGISTRY__URL for the coordinator (records are kept until then)"
            )
        return read_registered(await self.registry.schema(schema_id), payload)

    def _own_schemas(self, triggers: list[EventTrigger]) -> OwnSchemas:
        """The union of the triggers' schemas, parsed once per trigger definition."""
        merged = OwnSchemas()
        for trigger in triggers:
            cached = self._own.get(id(trigger.schemas))
            if cached is None or cached[0] is not trigger.schemas:
                if len(self._own) >= MAX_CACHED_DEFINITIONS:  # old definitions linger
                    self._own.clear()
                cached = (trigger.schemas, OwnSchemas.of(trigger.schemas))
                self._own[id(trigger.schemas)] = cached
            merged.by_fingerprint.update(cached[1].by_fingerprint)
        return merged


def _source(record: Any, form: EventFormat, event: ForeignEvent) -> EventSource:
    return EventSource(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        type_name=event.type_name,
        fields=event.fields,
        stamped_at=_stamp(record.timestamp),
        format=form,
        headers=header_texts(record.headers),
    )


def header_texts(headers: Iterable[tuple[str, bytes | None]] | None) -> Mapping[str, str]:
    """Record headers as text (UTF-8, bad bytes replaced; the last of a repeated name)."""
    return {name: (value or b"").decode("utf-8", errors="replace") for name, value in headers or ()}


def _stamp(timestamp_ms: int | None) -> datetime | None:
    """A record's timestamp; None for records written without one (-1)."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
