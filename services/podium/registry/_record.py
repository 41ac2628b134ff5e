"""One registry record: a published pipeline version on the compacted registry topic.

Key ``name@version`` (bytes), so compaction keeps exactly one record per
version and every version a run may be pinned to stays readable. The value is
a small JSON envelope rather than Avro: the registry is configuration, read
by people and any tool (``kafka-console-consumer | jq``) as often as by
Podium, its volume is tiny, and the envelope's ``format`` field carries its
evolution::

    {"format": 1, "name": "file-ingest", "version": 1,
     "content_hash": "sha256:...", "published_at": "2025-01-01T00:00:00+00:00",
     "definition": {...canonical JSON of the pipeline...}}

The ``podium-content-hash`` header repeats the hash so tools can compare
versions without decoding. Decoding re-validates the definition and checks
the hash, so a hand-written or corrupted record is rejected, never half-used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from podium._json_limits import read_json
from podium.pipelines import UNLIMITED, Pipeline, canonical_json, content_hash, validate_pipeline

DEFAULT_TOPIC = "podium.pipelines"
FORMAT = 1
HASH_HEADER = "podium-content-hash"

Headers = list[tuple[str, bytes]]


class RecordError(ValueError):
    """A registry record cannot be used; the message says why (the key is added by callers).

    ``reason`` is its DLQ reason: ``decode`` (not a JSON envelope), ``schema`` (an envelope
    format this Podium cannot read) or ``validation`` (the definition is refused).
    """

    def __init__(self, message: str, reason: str = "validation") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RegisteredPipeline:
    """A published pipeline version as read back from the registry."""

    pipeline: Pipeline
    content_hash: str
    published_at: datetime

    @property
    def name(self) -> str:
        return self.pipeline.name

    @property
    def version(self) -> int:
        return self.pipeline.version

    @property
    def key(self) -> str:
        return self.pipeline.key


@dataclass(frozen=True)
class RegistryRecord:
    """What is produced to the registry topic for one pipeline version."""

    key: bytes
    value: bytes
    headers: Headers


def record_key(name: str, version: int) -> bytes:
    return f"{name}@{version}".encode()


def encode_record(pipeline: Pipeline, published_at: datetime) -> RegistryRecord:
    """The record publishing ``pipeline``; ``published_at`` should be timezone-aware UTC."""
    digest = content_hash(pipeline)
    envelope = {
        "format": FORMAT,
        "name": pipeline.name,
        "version": pipeline.version,
        "content_hash": digest,
        "published_at": published_at.isoformat(),
        "definition": json.loads(canonical_json(pipeline)),
    }
    value = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = record_key(pipeline.name, pipeline.version)
    return RegistryRecord(key, value.encode(), [(HASH_HEADER, digest.encode())])


def decode_record(key: bytes, value: bytes) -> RegisteredPipeline:
    """The pipeline version in a record; RecordError says what is wrong with it."""
    envelope = _envelope(value)
    pipeline = _definition(envelope.get("definition"))
    if record_key(pipeline.name, pipeline.version) != key:
        raise RecordError(f"the definition is {pipeline.key}, not what the key says")
    digest = content_hash(pipeline)
    if envelope.get("content_hash") != digest:
        raise RecordError(f"content_hash {envelope.get('content_hash')!r} does not match {digest}")
    return RegisteredPipeline(pipeline, digest, _timestamp(envelope.get("published_at")))


def _envelope(value: bytes) -> dict[str, Any]:
    try:
        envelope = read_json(value)
    except ValueError as exc:  # not UTF-8, not JSON, or past the JSON bounds
        raise RecordError(f"not a JSON registry envelope: {exc}", "decode") from exc
    if not isinstance(envelope, dict):
        raise RecordError("not a JSON registry envelope: expected an object", "decode")
    if envelope.get("format") != FORMAT:
        raise RecordError(
            f"unknown envelope format {envelope.get('format')!r} (this Podium reads {FORMAT}): "
            "written by a newer Podium?",
            "schema",
        )
    return envelope


def _definition(raw: object) -> Pipeline:
    try:
        pipeline = Pipeline.model_validate(raw)
    except ValidationError as exc:
        raise RecordError(f"invalid definition: {exc.errors()[0]['msg']}") from exc
    problems = validate_pipeline(pipeline, UNLIMITED)  # checked against limits when applied
    if problems:
        raise RecordError(f"invalid definition: {problems[0]}")
    return pipeline


def _timestamp(raw: object) -> datetime:
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise RecordError(f"bad published_at {raw!r}: expected an ISO 8601 timestamp") from exc
