"""A whole Podium on the test broker: random topics, a coordinator and services as processes.

Each test gets its own topic names (``<prefix>.runs``...), consumer groups and
state folder, so tests never see each other's runs. Processes are the real
``podium coordinator`` / ``podium service`` commands, so tests can SIGKILL them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

from podium import contract as wire
from podium.codec import Codec
from podium.pipelines import Pipeline
from podium.registry import apply_pipelines
from podium.settings import CoordinatorSettings, KafkaSettings, PodiumSettings, TopicNames
from podium.testing import wait_for_topics

PARTITIONS = 2
REPO = Path(__file__).resolve().parents[3]
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def stack_topics(prefix: str) -> TopicNames:
    names = {name: f"{prefix}.{name}" for name in TopicNames.model_fields}
    return TopicNames(**names)


@dataclass
class Stack:
    bootstrap: str
    home: Path
    prefix: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:10]}")
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    codec: Codec = field(default_factory=Codec)
    extra_env: dict[str, str] = field(default_factory=dict)
    """Set last in every process's environment (e.g. a shorter coordinator session timeout)."""

    @property
    def topics(self) -> TopicNames:
        return stack_topics(self.prefix)

    @property
    def settings(self) -> PodiumSettings:
        return PodiumSettings(
            home=self.home,
            kafka=KafkaSettings(bootstrap_servers=self.bootstrap),
            topics=self.topics,
            coordinator=CoordinatorSettings(
                app_id=f"{self.prefix}-coordinator", partitions=PARTITIONS
            ),
        )

    def step_topic(self, service: str) -> str:
        return f"{self.prefix}.steps.{service}"

    def env(self) -> dict[str, str]:
        settings = self.settings
        env = dict(os.environ)
        env.update(
            PODIUM_HOME=str(self.home),
            PODIUM_KAFKA__BOOTSTRAP_SERVERS=self.bootstrap,
            PODIUM_COORDINATOR__APP_ID=settings.coordinator.app_id,
            PODIUM_COORDINATOR__PARTITIONS=str(PARTITIONS),
            PODIUM_TEST_PREFIX=self.prefix,
            PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
        )
        for name, topic in settings.topics.model_dump().items():
            env[f"PODIUM_TOPICS__{name.upper()}"] = topic
        env.update(self.extra_env)
        return env

    async def create_topics(self, services: Iterable[str] = ()) -> None:
        topics = self.topics
        consumed = [topics.runs, topics.step_results, topics.run_events, topics.timers]
        consumed += [topics.admissions, topics.files_landed]
        consumed += [topics.signals, topics.waits, topics.waits_keyed]
        consumed += [self.step_topic(s) for s in services]
        names = consumed + [f"{name}.dlq" for name in [*consumed, topics.pipelines]]
        new = [NewTopic(name, PARTITIONS, 1) for name in names]
        compacted = {"cleanup.policy": "compact"}
        new.append(NewTopic(topics.pipelines, 1, 1, topic_configs=compacted))
        new.append(NewTopic(topics.map_pages, PARTITIONS, 1, topic_configs=compacted))
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics(new)
        finally:
            await admin.close()
        await wait_for_topics(self.settings.client_kwargs(), [t.name for t in new])

    async def create_own_topics(self, topics: Iterable[str]) -> None:
        """Topics of a team's own (a domain topic a trigger or a waiting step reads)."""
        names = list(topics)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in names])
        finally:
            await admin.close()
        await wait_for_topics(self.settings.client_kwargs(), names)

    async def publish(self, *pipelines: Pipeline) -> None:
        await apply_pipelines(
            self.settings.client_kwargs(), list(pipelines), topic=self.topics.pipelines
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.start_program(name, [sys.executable, "-m", "podium", *args])

    def start_program(
        self, name: str, argv: list[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """``argv`` (any program: a step service in another language) as the process
        ``name``, in this stack's environment plus ``env``, logging to ``<name>.log``."""
        with (self.home / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                argv,
                env={**self.env(), **(env or {})},
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``podium ARGS...`` run to its end in this stack's environment, as a user would."""
        return subprocess.run(
            [sys.executable, "-m", "podium", *args],
            env=self.env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start_coordinator(self, name: str = "coordinator") -> subprocess.Popen[bytes]:
        return self.start(name, "coordinator")

    def start_service(self, name: str, target: str) -> subprocess.Popen[bytes]:
        return self.start(name, "service", target)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=60)

    def log(self, name: str) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    async def request_run(
        self,
        pipeline: str,
        params: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        producer: AIOKafkaProducer | None = None,
        traceparent: str = TRACEPARENT,
        priority: int = 0,
    ) -> str:
        run_id = run_id or f"run-{uuid.uuid4().hex[:12]}"
        event = wire.RunRequested(
            run_id=run_id,
            pipeline=pipeline,
            params_json=json.dumps(dict(params or {})),
            trigger=wire.Trigger(source=wire.TriggerSource.API),
            requested_at=datetime.now(UTC),
            priority=priority,
        )
        value = self.codec.encode_event(event)
        await self._produce(self.topics.runs, run_id, value, producer, traceparent)
        return run_id

    async def cancel_run(self, run_id: str) -> None:
        event = wire.RunCancelRequested(
            run_id=run_id, reason="test cancel", requested_at=datetime.now(UTC)
        )
        await self._produce(self.topics.runs, run_id, self.codec.encode_event(event), None)

    async def records(self, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
        """Every record on ``topic`` now (all partitions, from the start to the end offsets)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found: list[ConsumerRecord[bytes, bytes]] = []
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(batch)
            return found
        finally:
            await consumer.stop()

    async def results_of(self, run_id: str, *, worker: bytes) -> list[ConsumerRecord[bytes, bytes]]:
        """The records on the results topic so far for ``run_id`` whose value names a
        ``worker`` starting with these bytes (the worker field is a plain Avro string)."""
        records = await self.records(self.topics.step_results)
        return [r for r in records if r.key == run_id.encode() and worker in (r.value or b"")]

    async def _produce(
        self,
        topic: str,
        key: str,
        value: bytes,
        producer: AIOKafkaProducer | None,
        traceparent: str = TRACEPARENT,
    ) -> None:
        headers = [("traceparent", traceparent.encode())]
        if producer is not None:
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
            return
        async with AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all") as own:
            await own.send_and_wait(topic, value, key=key.encode(), headers=headers)


@dataclass
class RunEvents:
    """Every RunStatusChanged of the stack so far, with the raw records' headers."""

    events: list[wire.RunStatusChanged] = field(default_factory=list)
    headers: list[list[tuple[str, bytes]]] = field(default_factory=list)

    def of(self, run_id: str) -> list[wire.RunStatusChanged]:
        return [e for e in self.events if e.run_id == run_id]

    def run_status(self, run_id: str) -> wire.RunStatus | None:
        statuses = [e.status for e in self.of(run_id) if e.step is None]
        return statuses[-1] if statuses else None

    def terminal(self, run_id: str) -> list[wire.RunStatus]:
        done = {"SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATED"}
        return [e.status for e in self.of(run_id) if e.step is None and e.status in done]

    def step_events(self, run_id: str, step: str) -> list[wire.RunStatusChanged]:
        return [e for e in self.of(run_id) if e.step == step]

    def step_statuses(self, run_id: str, step: str) -> list[str]:
        return [str(e.step_status) for e in self.step_events(run_id, step)]


class EventWatcher:
    """Follows the stack's run events topic from the beginning."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.seen = RunEvents()
        self._consumer = AIOKafkaConsumer(
            stack.topics.run_events,
            bootstrap_servers=stack.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",  # what a committed coordinator batch caused
        )

    async def __aenter__(self) -> EventWatcher:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def poll(self) -> RunEvents:
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                event = self.stack.codec.decode_event(record.value, wire.RunStatusChanged)
                self.seen.events.append(event)
                self.seen.headers.append(list(record.headers))
        return self.seen

    async def until(self, condition: Any, *, timeout: float, what: str) -> RunEvents:
        """Poll until ``condition(events)`` holds; fails with the events seen and the logs."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            seen = await self.poll()
            if condition(seen):
                return seen
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not within {timeout}s: {what}\n{self._report()}")

    async def finished(self, run_ids: Sequence[str], timeout: float = 60.0) -> dict[str, list[str]]:
        """Each of ``run_ids``' terminal statuses, once every one of them has finished."""
        seen = await self.until(
            lambda seen: all(seen.terminal(r) for r in run_ids),
            timeout=timeout,
            what=f"{list(run_ids)} finish",
        )
        return {run_id: [str(s) for s in seen.terminal(run_id)] for run_id in run_ids}

    def _report(self) -> str:
        lines = [
            f"{e.run_id} {e.status} {e.step or '-'} {e.step_status or ''} a={e.attempt} "
            f"{e.reason or ''}"
            for e in self.seen.events[-40:]
        ]
        logs = {name: self.stack.log(name)[-3000:] for name in _log_names(self.stack.home)}
        return "\n".join(lines) + "\n" + "\n".join(f"--- {n}\n{t}" for n, t in logs.items())


def _log_names(home: Path) -> list[str]:
    return sorted(path.stem for path in home.glob("*.log"))


async def run_once(
    stack: Stack, definition: Pipeline, *, run_id: str | None = None, timeout: float = 60.0
) -> tuple[str, RunEvents]:
    """Publish ``definition``, request one run, and return its id and the events once it ends."""
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name, run_id=run_id)
        await watcher.finished([run_id], timeout)
        return run_id, watcher.seen


def murmur2_partition(key: str, partitions: int = PARTITIONS) -> int:
    """Where Podium (and Java's default partitioner) puts ``key``."""
    every = list(range(partitions))
    return int(DefaultPartitioner()(key.encode(), every, every))


def same_partition_id(run_id: str, partitions: int = PARTITIONS) -> str:
    """Another run id that Kafka's default partitioner puts in ``run_id``'s partition."""
    partitioner = DefaultPartitioner()
    every = list(range(partitions))
    target = partitioner(run_id.encode(), every, every)
    while True:
        candidate = f"barrier-{uuid.uuid4().hex[:12]}"
        if partitioner(candidate.encode(), every, every) == target:
            return candidate
