"""A pipeline's pause as the registry keeps it: one record per pipeline name, ``paused:NAME``.

The coordinator that owns a pipeline's admission queue writes it each time it applies a
pause or a resume (``PipelineControlRequested``), so every reader of the registry (each
coordinator, to send the pipeline's new runs through admission; the API and the CLI, to
show it) learns the pipeline's state from the compacted topic, after a restart too::

    key   paused:file-ingest
    value {"format": 1, "kind": "pause", "name": "file-ingest", "paused": true,
           "by": "sre", "reason": "warehouse maintenance", "at": "2026-01-01T00:00:00+00:00"}

A resume writes ``"paused": false`` with who resumed and when (not a tombstone: the last
change stays readable). Registry readers older than this skip such a record as invalid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from podium.registry._record import RecordError, RegistryRecord

PAUSE_PREFIX = "paused:"


@dataclass(frozen=True)
class PipelinePause:
    """The last pause or resume applied to a pipeline: ``paused``, by whom, why, when."""

    name: str
    paused: bool
    by: str = ""
    reason: str = ""
    at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        at = None if self.at is None else self.at.isoformat()
        return {"paused": self.paused, "by": self.by, "reason": self.reason, "at": at}

    def detail(self) -> dict[str, object] | None:
        """``{"by", "reason", "at"}`` while paused (how the CLI and the API show it); None
        once resumed."""
        if not self.paused:
            return None
        at = None if self.at is None else self.at.isoformat()
        return {"by": self.by, "reason": self.reason, "at": at}


def is_pause_key(key: bytes | None) -> bool:
    return key is not None and key.startswith(PAUSE_PREFIX.encode())


def encode_pause(pause: PipelinePause) -> RegistryRecord:
    value = {"format": 1, "kind": "pause", "name": pause.name, **pause.to_dict()}
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return RegistryRecord(f"{PAUSE_PREFIX}{pause.name}".encode(), text.encode(), [])


def pause_at_ms(name: str, paused: bool, by: str, reason: str, at_ms: int) -> RegistryRecord:
    """The record for a pause (or resume) applied at ``at_ms`` (epoch ms)."""
    at = datetime.fromtimestamp(at_ms / 1000, UTC)
    return encode_pause(PipelinePause(name, paused, by, reason, at))


def decode_pause(key: bytes, value: bytes) -> PipelinePause:
    """RecordError when the value is not a pause record of the key's pipeline."""
    try:
        data = json.loads(value)
        if not isinstance(data, dict) or key != f"{PAUSE_PREFIX}{data.get('name')}".encode():
            raise ValueError("expected an object naming the key's pipeline")
        paused = data["paused"]
        if not isinstance(paused, bool):
            raise ValueError(f"paused must be true or false, not {paused!r}")
        at = None if data.get("at") is None else datetime.fromisoformat(data["at"])
        by, reason = str(data.get("by", "")), str(data.get("reason", ""))
        return PipelinePause(data["name"], paused, by, reason, at)
    except (ValueError, KeyError, TypeError) as exc:
        raise RecordError(f"not a pause record: {exc}", "decode") from exc
