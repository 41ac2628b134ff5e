"""The coordinator's Prometheus metrics, updated once per batch (``docs/metrics.md``).

The engine reports each committed batch and each assignment (``streams.EngineObserver``);
on a batch this takes the handler's tally of its decisions (``_observe.Tally``) and the
handler's counters into the metrics, one update per label set (label children are
looked up once and kept: ``labels()`` costs more than the update). Queued runs are read from
the admissions table when Prometheus scrapes, so they cost nothing between scrapes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client import Counter as PromCounter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from podium.coordinator._observe import Tally
from podium.coordinator._runlog import log_runs
from podium.coordinator._spans import SpanStarter, emit_spans
from podium.streams import EngineObserver

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)
"""Run and step durations: from a no-op step to an hour-long load."""
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
"""Transition latency and batch time: milliseconds when healthy, seconds when not."""
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)

IGNORED_PREFIX = "ignored:"


class CoordinatorMetrics(EngineObserver):
    """The metrics of one coordinator process, on ``registry``."""

    def __init__(
        self,
        registry: CollectorRegistry,
        take_tally: Callable[[], Tally],
        counters: Counter[str],
        clock: Callable[[], float] = time.time,
        tracing: SpanStarter | None = None,
    ) -> None:
        self._tracing = tracing  # records the batch's spans (``_spans``) when set
        self._take_tally = take_tally  # the handler's tally, handed over per batch
        self._counters = counters  # the handler's counters, read as deltas per batch
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}
        self._flushed: Counter[str] = Counter()
        self._clock = clock
        self._define(registry)

    def _define(self, registry: CollectorRegistry) -> None:
        def counter(name: str, doc: str, labels: Iterable[str] = ()) -> PromCounter:
            return PromCounter(name, doc, list(labels), registry=registry)

        def histogram(
            name: str, doc: str, labels: Iterable[str], buckets: Iterable[float]
        ) -> Histogram:
            return Histogram(name, doc, list(labels), registry=registry, buckets=tuple(buckets))

        self.runs_started = counter(
            "podium_runs_started", "Runs started, by pipeline.", ["pipeline"]
        )
        self.runs_finished = counter(
            "podium_runs_finished",
            "Runs that reached a terminal status, by pipeline and status.",
            ["pipeline", "status"],
        )
        self.controls = counter(
            "podium_run_controls",
            "Re-runs, pauses and resumes the coordinator applied, by pipeline and action "
            "(rerun, pause, resume).",
            ["pipeline", "action"],
        )
        self.run_seconds = histogram(
            "podium_run_duration_seconds",
            "From a run's start to its terminal status.",
            ["pipeline"],
            DURATION_BUCKETS,
        )
        self.step_seconds = histogram(
            "podium_step_duration_seconds",
            "From a step's first request to its success or failure (retries included).",
            ["pipeline", "step"],
            DURATION_BUCKETS,
        )
        self.attempts = counter(
            "podium_step_attempts",
            "Step attempts by outcome: succeeded, failed, retried, timed_out.",
            ["pipeline", "step", "outcome"],
        )
        self.transition_seconds = histogram(
            "podium_transition_latency_seconds",
            "From a step result's append to the append of the step request it led to "
            "(the batch's commit).",
            [],
            LATENCY_BUCKETS,
        )
        self.events = counter("podium_coordinator_events", "Events the coordinator applied.")
        self.ignored = counter(
            "podium_coordinator_events_ignored",
            "Events that changed nothing, by reason (duplicate, stale-attempt, "
            "run-finished, step-finished, unknown-run, ...).",
            ["reason"],
        )
        self.dead_letters = counter(
            "podium_dead_letters",
            "Records the coordinator dead-lettered, by source topic and reason.",
            ["topic", "reason"],
        )
        self.batch_records = histogram(
            "podium_coordinator_batch_records", "Records per batch (poll).", [], BATCH_BUCKETS
        )
        self.batch_seconds = histogram(
            "podium_coordinator_batch_seconds",
            "Time to handle and commit one batch (its whole transaction).",
            [],
            LATENCY_BUCKETS,
        )
        self.owned = Gauge(
            "podium_coordinator_owned_partitions",
            "Input partitions this instance owns.",
            registry=registry,
        )
        self.restore_seconds = Gauge(
            "podium_coordinator_restore_seconds",
            "How long the last assignment's table restore took.",
            registry=registry,
        )
        self.restored = counter(
            "podium_coordinator_restored_records", "Changelog records read back on assignments."
        )

    # -- EngineObserver --------------------------------------------------------------

    def batch_done(self, records: int, seconds: float) -> None:
        self.batch_records.observe(records)
        self.batch_seconds.observe(seconds)
        batch = self._take_tally()
        self._apply(batch, self._clock())
        log_runs(batch.notes)  # the run lines come from the same tally
        if batch.spans and self._tracing is not None:
            emit_spans(self._tracing, batch.spans)
        self._flush_counters()

    def assigned(self, partitions: int, restored: int, seconds: float) -> None:
        self.owned.set(partitions)
        if partitions:
            self.restore_seconds.set(seconds)
            self.restored.inc(restored)

    def dead_lettered(self, topic: str, reason: str) -> None:
        self.dead_letters.labels(topic, reason).inc()

    # -- per batch -------------------------------------------------------------------

    def _apply(self, batch: Tally, now_s: float) -> None:
        child = self._child
        for pipeline, runs in batch.runs_started.items():
            child(self.runs_started, pipeline).inc(runs)
        for (pipeline, status), runs in batch.runs_finished.items():
            child(self.runs_finished, pipeline, status).inc(runs)
        for (pipeline, action), count in batch.controls.items():
            child(self.controls, pipeline, action).inc(count)
        for pipeline, seconds in batch.run_seconds:
            child(self.run_seconds, pipeline).observe(seconds)
        for pipeline, step, seconds in batch.step_seconds:
            child(self.step_seconds, pipeline, step).observe(seconds)
        for (pipeline, step, outcome), attempts in batch.attempts.items():
            child(self.attempts, pipeline, step, outcome).inc(attempts)
        for result_ms in batch.transitions_from_ms:
            self.transition_seconds.observe(max(0.0, now_s - result_ms / 1000))

    def _child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, kept: the label sets are few (pipelines, steps)."""
        key = (metric, labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def _flush_counters(self) -> None:
        for name, total in self._counters.items():
            delta = total - self._flushed[name]
            if delta <= 0:
                continue
            self._flushed[name] = total
            if name == "events":
                self.events.inc(delta)
            elif name.startswith(IGNORED_PREFIX):
                self.ignored.labels(name.removeprefix(IGNORED_PREFIX)).inc(delta)


class QueuedRuns(Collector):
    """``podium_runs_queued{pipeline}``: runs waiting for admission (``max_active_runs``, a
    rate limit, a paused pipeline) in the admission queues this instance owns, counted when
    Prometheus scrapes; ``podium_pipeline_paused{pipeline}`` is 1 for each paused one."""

    def __init__(
        self,
        queues: Callable[[], Iterable[tuple[str, int]]],
        paused: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self._queues = queues
        self._paused = paused

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "podium_runs_queued",
            "Runs waiting for admission: a slot under max_active_runs, a rate limit's token, "
            "or their paused pipeline's resume.",
            labels=["pipeline"],
        )
        for pipeline, waiting in self._queues():
            family.add_metric([pipeline], waiting)
        yield family
        paused = GaugeMetricFamily(
            "podium_pipeline_paused",
            "1 for each paused pipeline whose admission queue this coordinator owns.",
            labels=["pipeline"],
        )
        for pipeline in self._paused():
            paused.add_metric([pipeline], 1)
        yield paused
