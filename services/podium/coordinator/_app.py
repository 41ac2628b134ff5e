"""The coordinator as a faust-streaming app: the I/O shell around the state machine.

One agent consumes ``podium.runs``, ``podium.step.results`` and the internal
timers topic (all keyed by run id and co-partitioned with the ``runs`` table),
so each run's events are applied in order by the instance owning its
partition. Per message: decode raw bytes ourselves (a bad message must not kill
the agent: it goes to ``<topic>.dlq``), decide, write the table, produce.

Delivery: faust flushes the producer before it commits offsets, so what a
message caused is on Kafka before the message counts as done. A produce that
fails after the client's retries crashes the worker (fail-stop) instead of
committing past it; the restarted worker reprocesses, and the machine's
idempotent transitions absorb the repeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import faust

from podium.codec import Codec, CodecError
from podium.coordinator._admission_handle import AdmissionHandler
from podium.coordinator._consumer import use_podium_consumer
from podium.coordinator._handle import Handler, Rejected, rebuild_timers
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import Outgoing, timer_value
from podium.dlq import dead_letter, reason_of
from podium.registry import PipelineRegistry
from podium.settings import PodiumSettings
from podium.triggers import TriggerRunner

log = logging.getLogger("podium.coordinator")


class _Message:
    """The parts of a consumed message a dead letter needs (faust's shape -> ours)."""

    def __init__(self, message: Any) -> None:
        self.topic = message.topic
        self.partition = message.partition
        self.offset = message.offset
        self.key = message.key
        self.value = message.value
        self.headers = _header_list(message.headers)
        self.timestamp = int(message.timestamp * 1000) if message.timestamp else None


class _RunTable(MutableMapping[str, bytes]):
    """The faust table with text run ids (its changelog keys are raw bytes)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getitem__(self, run_id: str) -> bytes:
        value: bytes | None = self._table.get(run_id.encode())
        if value is None:
            raise KeyError(run_id)
        return value

    def __contains__(self, run_id: object) -> bool:
        return isinstance(run_id, str) and self._table.get(run_id.encode()) is not None

    def __setitem__(self, run_id: str, value: bytes) -> None:
        self._table[run_id.encode()] = value

    def __delitem__(self, run_id: str) -> None:
        del self._table[run_id.encode()]

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self._table)

    def __len__(self) -> int:
        return len(self._table)


def _header_list(headers: Any) -> list[tuple[str, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(str(key), bytes(value)) for key, value in items if value is not None]


class Coordinator:
    """Builds the faust app and owns what lives beside it (registry, timers, counters)."""

    def __init__(self, settings: PodiumSettings, *, datadir: Path | None = None) -> None:
        self.settings = settings
        self.topics = settings.topics
        self.codec = Codec()
        self.timers = TimerIndex()
        self.registry = PipelineRegistry(
            settings.client_kwargs(), self.topics.pipelines, dead_letter=True
        )
        self._ready = asyncio.Event()
        self.triggers = TriggerRunner(
            settings, self.registry, self.codec, group_id=f"{settings.coordinator.app_id}-triggers"
        )
        self.handler = Handler(
            self.codec, self.topics, self.registry.get, self.timers, limits=settings.limits
        )
        self.admission = AdmissionHandler(self.topics.timers)
        self.app = self._build_app(datadir or settings.home / "coordinator")

    def _build_app(self, datadir: Path) -> faust.App:
        conf = self.settings.coordinator
        datadir.mkdir(parents=True, exist_ok=True)
        app = faust.App(
            conf.app_id,
            broker=f"kafka://{self.settings.bootstrap_servers()}",
            broker_credentials=_credentials(self.settings),
            store="memory://",
            datadir=str(datadir),
            topic_partitions=conf.partitions,
            table_standby_replicas=conf.standby_replicas,
            key_serializer="raw",
            value_serializer="raw",
            producer_acks=-1,
            producer_linger=conf.producer_linger_ms / 1000,
            consumer_auto_offset_reset="earliest",
            web_enabled=False,
            broker_session_timeout=conf.session_timeout_s,
            broker_heartbeat_interval=min(3.0, conf.session_timeout_s / 3),
        )
        # A rebalance must not skip uncommitted records, and fetches must not wait 1.5 s on
        # the broker: see _consumer and _fetch.
        use_podium_consumer(app, fetch_max_wait_ms=conf.fetch_max_wait_ms)
        # Keys (run ids) and values (RunState JSON) are bytes: typed as bytes, faust keeps
        # them raw on the changelog; otherwise it JSON-encodes them and cannot recover them.
        self.table = app.Table(
            "runs", default=None, partitions=conf.partitions, key_type=bytes, value_type=bytes
        )
        self.table.on_recover(self._on_recover)
        self._runs = _RunTable(self.table)
        channel = app.topic(self.topics.runs, self.topics.step_results, self.topics.timers)
        app.agent(channel, name="podium-coordinator-runs")(self._process)
        self._add_admissions(app, conf.partitions)
        app.task(self._start_registry)
        app.on_before_shutdown.connect(self._stop_triggers)  # type: ignore[arg-type]
        app.timer(conf.timer_interval_s)(self._fire_timers)
        return app

    def _add_admissions(self, app: faust.App, partitions: int) -> None:
        """``max_active_runs``: a second agent and table, keyed by pipeline name (their own
        co-partitioned pair, independent of the run-keyed topics); see _admission_handle."""
        self.admissions = app.Table(
            "admissions", default=None, partitions=partitions, key_type=bytes, value_type=bytes
        )
        self._queues = _RunTable(self.admissions)  # same bytes <-> text mapping, by pipeline
        topic = app.topic(self.topics.admissions)
        app.agent(topic, name="podium-coordinator-admissions")(self._admit)

    async def _admit(self, stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                out = self.admission.handle(message.value, self._queues)
            except Rejected as exc:
                await self._dead_letter(message, exc)
                continue
            for outgoing in out:
                await self._send(outgoing)

    async def _start_registry(self) -> None:
        _quiet_client_loggers()
        await self.registry.start()
        self._ready.set()
        await self.triggers.start()
        log.info("pipeline registry loaded: %d definitions", len(self.registry.list()))

    async def _stop_triggers(self, app: faust.App, **_: Any) -> None:
        await self.triggers.stop()

    async def _on_recover(self) -> None:
        rebuild_timers(self.timers, [value for value in self.table.values() if value])
        log.info("timers rebuilt: %d runs waiting", len(self.timers))

    async def _process(self, stream: Any) -> None:
        async for event in stream.events():
            await self._ready.wait()
            message = event.message
            headers = _header_list(message.headers)
            try:
                out = self.handler.handle(message.topic, message.value, headers, self._runs)
            except (CodecError, Rejected) as exc:
                await self._dead_letter(message, exc)
                continue
            for outgoing in out:
                await self._send(outgoing)

    async def _send(self, outgoing: Outgoing) -> None:
        future = await self.app.producer.send(
            outgoing.topic, outgoing.key, outgoing.value, None, None, outgoing.headers
        )
        future.add_done_callback(self._check_sent)  # type: ignore[attr-defined]

    def _check_sent(self, future: asyncio.Future[Any]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            log.error("produce failed, stopping so nothing is committed past it: %s", error)
            self.app._crash(error)  # fail-stop: see the module docstring

    async def _dead_letter(self, message: Any, error: BaseException) -> None:
        run_keyed = message.topic != self.topics.admissions  # admissions: keyed by pipeline
        letter = dead_letter(
            _Message(message), error, group=self.settings.coordinator.app_id, run_keyed=run_keyed
        )
        self.handler.counters[f"dead-letter:{reason_of(error)}"] += 1
        log.warning(
            "dead-lettered %s[%s]@%s to %s: %s",
            message.topic,
            message.partition,
            message.offset,
            letter.topic,
            error,
        )
        await self.app.producer.send_and_wait(
            letter.topic, letter.key, letter.value, None, None, letter.headers
        )

    async def _fire_timers(self) -> None:
        for run_id, due_ms in self.timers.pop_due(int(time.time() * 1000)):
            await self._send(
                Outgoing(self.topics.timers, run_id.encode(), timer_value(run_id, due_ms), [])
            )


def _quiet_client_loggers() -> None:
    """The Kafka clients log at debug on every send; with the root logger open to debug
    (as faust's worker leaves it) building those records costs ~8% of the event loop."""
    for name in ("aiokafka", "faust", "mode"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _credentials(settings: PodiumSettings) -> Any:
    """faust's credentials object for the configured SASL/TLS settings, or None."""
    kafka = settings.kafka
    kwargs = kafka.client_kwargs(settings.bootstrap_servers())
    ssl_context = kwargs.get("ssl_context")
    if kafka.sasl_mechanism:
        password = kafka.sasl_plain_password.get_secret_value() if kafka.sasl_plain_password else ""
        return faust.SASLCredentials(
            username=kafka.sasl_plain_username or "",
            password=password,
            mechanism=kafka.sasl_mechanism,
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None
