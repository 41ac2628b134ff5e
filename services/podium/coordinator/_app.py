"""The coordinator: the I/O shell around the state machine, on :mod:`._engine`.

Its input topics, ``podium.runs``, ``podium.step.results`` and the internal timers topic
(all keyed by run id, co-partitioned with the ``runs`` table), go through ``Handler``,
so each run's events are applied in order by the instance owning its partition; the
``admissions`` topic (keyed by pipeline) goes through ``AdmissionHandler`` and its own
table. A message either handler cannot use is answered by a dead letter to
``<topic>.dlq``, produced in the same batch, so its offset too is committed only once
the broker has the dead letter.

Beside the engine: the pipeline registry (read before the first event is handled), the
event and cron triggers, and the timer loop, which sends due timers to the timers topic
(so a timer is one more event of its run, applied in order by the run's owner).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import MutableMapping, Sequence

from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry

from podium.codec import Codec, CodecError
from podium.coordinator._admission_handle import AdmissionHandler, wake_value
from podium.coordinator._forward import Forwarder, run_id_fingerprints
from podium.coordinator._handle import (
    Handler,
    Rejected,
    decode_state,
    encode_state,
    rebuild_timers,
    run_finished_at,
    run_is_finished,
)
from podium.coordinator._metrics import CoordinatorMetrics, QueuedRuns
from podium.coordinator._spans import SpanStarter, rejected_span
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import timer_value
from podium.coordinator.core._state import RunState
from podium.dlq import dead_letter, reason_of
from podium.metrics import new_registry
from podium.registry import PipelineRegistry
from podium.settings import PodiumSettings
from podium.streams import (
    Engine,
    EngineConfig,
    KafkaTransport,
    Outgoing,
    Partitioner,
    Retention,
    Route,
    Table,
    changelog_topic,
)
from podium.triggers import TriggerMetrics, TriggerRunner
from podium.waits import WaitMetrics, WaitRunner

log = logging.getLogger("podium.coordinator")


class Coordinator:
    """Wires the handlers, tables, registry, triggers and timers to one engine."""

    def __init__(
        self,
        settings: PodiumSettings,
        registry: CollectorRegistry | None = None,
        tracing: SpanStarter | None = None,
    ) -> None:
        """``tracing``: the installed SDK (``podium.tracing``); None records no span."""
        self.settings = settings
        self.tracing = tracing
        self.metrics_registry = new_registry() if registry is None else registry
        self.topics = settings.topics
        self._results_topic = settings.topics.step_results
        self.codec = Codec()
        self.timers = TimerIndex()
        self.registry = PipelineRegistry(
            settings.client_kwargs(), self.topics.pipelines, dead_letter=True
        )
        self.waiter = WaitRunner(settings, self.registry, self.codec)
        self.triggers = TriggerRunner(
            settings, self.registry, self.codec, group_id=f"{settings.coordinator.app_id}-triggers"
        )
        self.handler = Handler(
            self.codec,
            self.topics,
            self.registry.get,
            self.timers,
            limits=settings.limits,
            tracing=tracing is not None,
            paused=self.registry.paused_names,
        )
        self.forwarder = Forwarder(
            frozenset({self.topics.runs, self.topics.step_results}),  # timers: ours, by run id
            run_id_fingerprints(self.codec.registry),
            self._placement,
            self.handler.counters,
        )
        self.admission = AdmissionHandler(
            self.topics.timers,
            self.topics.pipelines,
            self.codec,
            on_pause=self.registry.applied_pause,
        )
        self.metrics = CoordinatorMetrics(
            self.metrics_registry, self.handler.take_tally, self.handler.counters, tracing=tracing
        )
        self.metrics_registry.register(
            QueuedRuns(
                lambda: list(self.admission.queued.items()), lambda: sorted(self.admission.paused)
            )
        )
        self.metrics_registry.register(TriggerMetrics(lambda: self.triggers.stats))
        self.metrics_registry.register(WaitMetrics(lambda: self.waiter.stats))
        app_id = settings.coordinator.app_id
        self.runs = Table(
            changelog_topic(app_id, "runs"),
            encode_state,
            decode_state,
            settled=run_is_finished,
            retention=_finished_run_retention(settings.coordinator.finished_run_retention_s),
        )
        self.admissions: Table[bytes] = Table(changelog_topic(app_id, "admissions"))
        self.engine = self._build_engine()

    def _build_engine(self) -> Engine:
        conf = self.settings.coordinator
        config = EngineConfig(
            group_id=conf.app_id,
            session_timeout_ms=int(conf.session_timeout_s * 1000),
            fetch_max_wait_ms=conf.fetch_max_wait_ms,
            linger_ms=conf.producer_linger_ms,
            transactional_id=conf.transactional_id,
            transaction_timeout_ms=int(conf.transaction_timeout_s * 1000),
            eviction_interval_s=conf.eviction_interval_s,
        )
        run_route = Route(self.runs, self._handle_run_event)
        routes = {
            self.topics.runs: run_route,
            self.topics.step_results: run_route,
            self.topics.timers: run_route,
            self.topics.admissions: Route(self.admissions, self._handle_admission),
        }
        transport = KafkaTransport(self.settings.client_kwargs())
        return Engine(transport, config, routes, self._rebuild_timers, self.metrics)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set, then leave the group cleanly (offsets committed)."""
        await self.registry.start()
        log.info("pipeline registry loaded: %d definitions", len(self.registry.list()))
        await self.engine.start()
        try:
            await self.triggers.start()
            await self.waiter.start()
            async with asyncio.TaskGroup() as group:  # one failing stops the other
                group.create_task(self.engine.run(stop))
                group.create_task(self._timer_loop(stop))
        finally:
            await self.waiter.stop()
            await self.triggers.stop()
            await self.engine.stop()
            await self.registry.stop()

    def _rebuild_timers(self) -> None:
        rebuild_timers(self.timers, self.runs.unsettled_values())  # finished: no timer
        self.admission.recount(self.admissions.stores.values())
        log.info("timers rebuilt: %d runs waiting", len(self.timers))

    def _handle_run_event(
        self, record: ConsumerRecord[bytes, bytes], store: MutableMapping[str, RunState]
    ) -> list[Outgoing]:
        if (forward := self.forwarder.forward(record)) is not None:
            return [forward]
        try:
            appended_ms = record.timestamp if record.topic == self._results_topic else None
            return self.handler.handle(
                record.topic, record.value, record.headers, store, appended_ms
            )
        except (CodecError, Rejected) as exc:
            return [self._dead_letter(record, exc, run_keyed=True)]
        except Exception as exc:  # our bug, met on this record: its DLQ entry, not our exit
            log.exception("handling %s failed", _where(record))
            return [self._dead_letter(record, exc, run_keyed=True)]

    def _placement(self, topic: str) -> tuple[Sequence[int], Partitioner]:
        """How the outbox places a keyed message on ``topic``: its partitioner over the
        producer's partitions of the topic (a forward's target is then where it lands:
        no loop). Before the producer has the topic's metadata (it only asks for topics it
        sent to), the outbox fetches it; the consumer, which just read from the topic, has
        the same count. Not ``settings.coordinator.partitions``: a declared count the
        cluster may not have (created by hand, or raised since)."""
        engine = self.engine
        partitions = engine.producer.client.cluster.partitions_for_topic(topic)
        if not partitions:
            partitions = engine.consumer.partitions_for_topic(topic) or ()
        return sorted(partitions), engine.outbox.partitioner

    def _handle_admission(
        self, record: ConsumerRecord[bytes, bytes], store: MutableMapping[str, bytes]
    ) -> list[Outgoing]:
        try:
            return self.admission.handle(record.value, store)
        except Rejected as exc:  # keyed by pipeline, not by run
            return [self._dead_letter(record, exc, run_keyed=False)]
        except Exception as exc:  # as in _handle_run_event
            log.exception("handling %s failed", _where(record))
            return [self._dead_letter(record, exc, run_keyed=False)]

    def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, *, run_keyed: bool
    ) -> Outgoing:
        reason = reason_of(error)
        traceparent = None
        if self.tracing is not None:
            where = (record.topic, record.partition, record.offset)
            traceparent = rejected_span(*where, record.headers, reason)
        letter = dead_letter(
            record,
            error,
            group=self.settings.coordinator.app_id,
            run_keyed=run_keyed,
            max_bytes=self.settings.limits.max_message_bytes,
            traceparent=traceparent,
        )
        self.handler.counters[f"dead-letter:{reason}"] += 1
        self.metrics.dead_lettered(record.topic, reason)
        log.warning("dead-lettered %s to %s: %s", _where(record), letter.topic, error)
        return Outgoing(letter.topic, letter.key, letter.value, letter.headers)

    async def _timer_loop(self, stop: asyncio.Event) -> None:
        """Due run timers to the timers topic; due admission wakes (a rate limit's next
        token) to the admissions topic, keyed by pipeline name."""
        interval = self.settings.coordinator.timer_interval_s
        while not stop.is_set():
            now_ms = int(time.time() * 1000)
            for run_id, due_ms in self.timers.pop_due(now_ms):
                value = timer_value(run_id, due_ms)
                await self.engine.send(Outgoing(self.topics.timers, run_id.encode(), value, []))
            for pipeline, _ in self.admission.wakes.pop_due(now_ms):
                key, value = pipeline.encode(), wake_value(pipeline)
                await self.engine.send(Outgoing(self.topics.admissions, key, value, []))
            await asyncio.sleep(interval)


def _where(record: ConsumerRecord[bytes, bytes]) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


def _finished_run_retention(seconds: float) -> Retention[RunState] | None:
    """The runs table's retention of finished runs (0: none, they are kept for ever)."""
    if seconds == 0:
        return None
    return Retention(keep_ms=int(seconds * 1000), settled_at=run_finished_at)
