"""The registry's in-memory state, built record by record; no I/O, so tests need no Kafka.

Rules, in the order records arrive on the (single-partition) topic:
- a valid record sets its ``name@version``;
- a tombstone (no value) removes it, as compaction eventually will;
- an undecodable or invalid record is skipped, logged with its key, and counted
  (``apply`` returns why, so a reader can dead-letter it);
- a pause record (``paused:NAME``, see ``_pause``) sets the pipeline's pause state, kept
  apart from its versions; ``paused_names`` is a live set of the paused ones;
- a second record for a published ``name@version`` with different content
  (two concurrent applies raced; ``apply`` refuses it otherwise) wins, like
  compaction will make it win for every later reader, and is logged and counted
  so the race does not go unnoticed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from podium.pipelines import Pipeline
from podium.registry._errors import UnknownPipelineError
from podium.registry._pause import PipelinePause, decode_pause, is_pause_key
from podium.registry._record import RecordError, RegisteredPipeline, decode_record

log = logging.getLogger("podium.registry")


@dataclass
class CatalogStats:
    """What reading the topic ran into: records used, skipped (unreadable), conflicting."""

    records: int = 0
    skipped: int = 0
    conflicts: int = 0


class Catalog:
    """Pipeline versions by ``name@version``, fed with raw records via :meth:`apply`."""

    def __init__(self) -> None:
        self._entries: dict[str, RegisteredPipeline] = {}
        self._pauses: dict[str, PipelinePause] = {}
        self.paused_names: set[str] = set()
        """The paused pipelines' names; updated in place, so a holder sees every change."""
        self.stats = CatalogStats()

    def apply(self, key: bytes | None, value: bytes | None) -> RecordError | None:
        """Take one record from the topic into account; never raises for bad content, returns
        why a record was skipped (None when it was used)."""
        label = _label(key)
        if value is None:
            self._entries.pop(label, None)
            return None
        if is_pause_key(key):
            return self._pause(key or b"", value)
        try:
            entry = decode_record(key or b"", value)
        except RecordError as exc:
            self.stats.skipped += 1
            log.warning("registry record %s skipped: %s", label, exc)
            return exc
        self._set(entry)
        return None

    def _pause(self, key: bytes, value: bytes) -> RecordError | None:
        try:
            pause = decode_pause(key, value)
        except RecordError as exc:
            self.stats.skipped += 1
            log.warning("registry record %s skipped: %s", _label(key), exc)
            return exc
        self._pauses[pause.name] = pause
        if pause.paused:
            self.paused_names.add(pause.name)
        else:
            self.paused_names.discard(pause.name)
        return None

    def applied_pause(self, name: str, paused: bool) -> None:
        """A pause known before its record is read (its writer's own process)."""
        if paused:
            self.paused_names.add(name)
        else:
            self.paused_names.discard(name)

    def pause(self, name: str) -> PipelinePause | None:
        """The last pause or resume of ``name`` (None: never paused)."""
        return self._pauses.get(name)

    def _set(self, entry: RegisteredPipeline) -> None:
        previous = self._entries.get(entry.key)
        if previous is not None and previous.content_hash != entry.content_hash:
            self.stats.conflicts += 1
            log.warning(
                "registry record %s replaced published content %s with %s "
                "(concurrent applies?): the later record wins",
                entry.key,
                previous.content_hash,
                entry.content_hash,
            )
        self._entries[entry.key] = entry
        self.stats.records += 1

    def snapshot(self) -> dict[str, RegisteredPipeline]:
        """A copy of every known version, by ``name@version``."""
        return dict(self._entries)

    def list(self) -> list[RegisteredPipeline]:
        """Every known version, sorted by name then version."""
        return sorted(self._entries.values(), key=lambda e: (e.name, e.version))

    def get(self, name: str, version: int | None = None) -> Pipeline:
        """``name@version``, or the highest version of ``name`` when version is None."""
        return self.entry(name, version).pipeline

    def entry(self, name: str, version: int | None = None) -> RegisteredPipeline:
        if version is not None and (found := self._entries.get(f"{name}@{version}")):
            return found
        versions = [e for e in self._entries.values() if e.name == name]
        if version is None and versions:
            return max(versions, key=lambda e: e.version)
        raise UnknownPipelineError(name, version, _known(self._entries.values(), versions))


def _known(entries: Iterable[RegisteredPipeline], versions: list[RegisteredPipeline]) -> list[str]:
    """For the error message: the name's versions if it exists, else every name."""
    if versions:
        return [e.key for e in sorted(versions, key=lambda e: e.version)]
    return sorted({e.name for e in entries})


def _label(key: bytes | None) -> str:
    if key is None:
        return "<no key>"
    return key.decode("utf-8", errors="replace")
