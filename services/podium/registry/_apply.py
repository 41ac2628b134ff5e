"""``apply``: validate every definition, decide against the registry, then publish.

Order matters for the all-or-nothing promise: nothing is produced until every
definition is valid and no pipeline is refused. Each record is produced with
``acks=all`` (idempotent producer) and awaited, so "published" means the
cluster has it. If Kafka fails halfway, the error names what was published;
running the same apply again is safe, since identical content is a no-op.
Two applies racing on the same ``name@version`` are not serialised (Kafka has
no compare-and-set); the registry readers log such a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from podium.errors import BrokerError
from podium.pipelines import (
    Pipeline,
    PipelineValidationError,
    Problem,
    content_hash,
    load_pipeline_sources,
    validate_pipeline,
)
from podium.registry._decide import ApplyResult, ApplyStatus, plan_apply
from podium.registry._reader import DEFAULT_START_TIMEOUT, read_registry
from podium.registry._record import DEFAULT_TOPIC, RegistryRecord, encode_record
from podium.settings import LimitsSettings

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def apply_pipelines(
    client_kwargs: Mapping[str, Any],
    pipelines: Sequence[Pipeline],
    *,
    topic: str = DEFAULT_TOPIC,
    sources: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
    clock: Clock = _utc_now,
    limits: LimitsSettings | None = None,
) -> list[ApplyResult]:
    """Publish the new versions among ``pipelines``; one result per distinct pipeline.

    ``sources`` maps ``name@version`` to the file it came from, for messages.
    Raises PipelineValidationError (nothing published) if any definition is
    invalid (``limits``: see ``validate_pipeline``); returns without publishing anything if
    any result is REFUSED.
    """
    unique = checked_batch(pipelines, sources or {}, limits)
    published = await read_registry(client_kwargs, topic, timeout=timeout)
    results = plan_apply(published, unique, sources)
    now = clock()
    records = [
        encode_record(pipeline, now)
        for pipeline, result in zip(unique, results, strict=True)
        if result.status is ApplyStatus.PUBLISHED
    ]
    await _publish(client_kwargs, topic, records)
    return results


def checked_batch(
    pipelines: Sequence[Pipeline],
    sources: Mapping[str, str],
    limits: LimitsSettings | None = None,
) -> list[Pipeline]:
    """The pipelines without exact repeats; PipelineValidationError lists every problem."""
    problems: list[Problem] = []
    unique: dict[str, Pipeline] = {}
    for pipeline in pipelines:
        where = sources.get(pipeline.key, pipeline.key)
        problems.extend(p.in_file(where) for p in validate_pipeline(pipeline, limits))
        first = unique.setdefault(pipeline.key, pipeline)
        if content_hash(first) != content_hash(pipeline):
            message = f"{pipeline.key} is given twice with different content"
            problems.append(Problem("version", message, file=where))
    if problems:
        raise PipelineValidationError(problems)
    return list(unique.values())


def load_pipeline_files(
    paths: Iterable[str | Path], limits: LimitsSettings | None = None
) -> tuple[list[Pipeline], dict[str, str]]:
    """The pipelines in ``paths`` and, by ``name@version``, the file each came from.

    Like ``podium.pipelines.load_pipelines`` (every problem of every file in one
    PipelineValidationError), keeping the file names for apply's messages.
    """
    found = load_pipeline_sources(paths, limits, require_files=True)
    return [p for _, p in found], {p.key: str(file) for file, p in found}


async def _publish(
    client_kwargs: Mapping[str, Any], topic: str, records: list[RegistryRecord]
) -> None:
    if not records:
        return
    producer = AIOKafkaProducer(**client_kwargs, acks="all", enable_idempotence=True)
    done: list[str] = []
    try:
        await producer.start()
        for record in records:
            await producer.send_and_wait(
                topic, record.value, key=record.key, headers=record.headers
            )
            done.append(record.key.decode())
    except KafkaError as exc:
        published = ", ".join(done) or "nothing"
        raise BrokerError(
            f"publishing to pipeline registry {topic} failed ({exc}); published so far: "
            f"{published}. Running the same apply again is safe.",
            retryable=True,
        ) from exc
    finally:
        await producer.stop()
