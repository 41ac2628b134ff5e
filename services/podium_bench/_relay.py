"""The Kafka floor's relay: consume from one topic, produce to the next, nothing else.

Run as ``python -m podium_bench._relay --group G --hop SRC DST VALUE_BYTES HEADER_BYTES ...``
(one process per Podium process it stands in for). Each record consumed from SRC
becomes a record on DST with the same key and a value and headers of the given
sizes, sent without waiting for each acknowledgement (as the coordinator sends), ``acks=all``.
No decoding, no state, no commits: the cost of the hops themselves.

The floor's sequential chain loops instead of using a topic per step: ``--loop`` (the
coordinator's side) sends a run from its start topic to a requests topic, and each time
it comes back on the results topic sends it out again, ``STEPS`` times, then to a done
topic; ``--sleep-hop`` (the service's side) sleeps before relaying each record. The
rounds so far travel in a header, so the relays keep no state either.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from podium._priority import set_nice
from podium.settings import load_settings

ROUND = "floor-round"
"""Header of the floor's chain: how many steps a run has been sent to so far."""
Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    value: bytes
    headers: Headers
    sleep_s: float = 0.0
    """Wait this long before relaying each record (a step that sleeps), without holding
    up the others."""


def hop(
    source: str, target: str, value_bytes: int, header_bytes: int, sleep_ms: float = 0.0
) -> Hop:
    """A hop whose outgoing messages have these sizes (one header of ``header_bytes``)."""
    headers = [("h", b"h" * max(0, header_bytes - 1))] if header_bytes > 0 else []
    return Hop(source, target, b"v" * value_bytes, headers, sleep_ms / 1000)


@dataclass(frozen=True)
class Loop:
    """The coordinator's side of the floor's chain (see the module docstring)."""

    start: str
    results: str
    requests: str
    done: str
    steps: int
    value: bytes
    headers: Headers

    def next(self, source: str, headers: Sequence[tuple[str, bytes]] | None) -> tuple[str, Headers]:
        """Where a record from ``source`` goes next, and with which headers."""
        sent = 0 if source == self.start else rounds(headers)
        if sent >= self.steps:
            return self.done, self.headers
        return self.requests, [*self.headers, (ROUND, str(sent + 1).encode())]


def rounds(headers: Sequence[tuple[str, bytes]] | None) -> int:
    """The ``floor-round`` header's count; ValueError when a record has none."""
    for key, value in headers or ():
        if key == ROUND:
            return int(value)
    raise ValueError(f"a floor chain result without its {ROUND} header")


def loop(args: Sequence[str]) -> Loop:
    """``START RESULTS REQUESTS DONE STEPS VALUE_BYTES HEADER_BYTES``."""
    start, results, requests, done, steps, value_bytes, header_bytes = args
    sized = hop(start, requests, int(value_bytes), int(header_bytes))
    return Loop(start, results, requests, done, int(steps), sized.value, sized.headers)


@dataclass(frozen=True)
class Relays:
    group: str
    hops: list[Hop]
    loops: list[Loop]
    nice: int | None

    @property
    def sources(self) -> list[str]:
        looped = [topic for each in self.loops for topic in (each.start, each.results)]
        return [*(h.source for h in self.hops), *looped]


def parse_args(argv: Sequence[str] | None = None) -> Relays:
    """``--nice`` as the coordinator's, for the relay standing for it."""
    parser = argparse.ArgumentParser(prog="podium_bench._relay")
    parser.add_argument("--group", required=True)
    parser.add_argument("--hop", nargs=4, action="append", default=[], metavar="ARG")
    sleep_hop = "SRC DST SLEEP_MS VALUE_BYTES HEADER_BYTES"
    parser.add_argument("--sleep-hop", nargs=5, action="append", default=[], help=sleep_hop)
    looped = "START RESULTS REQUESTS DONE STEPS VALUE_BYTES HEADER_BYTES"
    parser.add_argument("--loop", nargs=7, action="append", default=[], help=looped)
    parser.add_argument("--nice", type=int)
    args = parser.parse_args(argv)
    hops = [hop(s, t, int(v), int(h)) for s, t, v, h in args.hop]
    hops += [hop(s, t, int(v), int(h), float(ms)) for s, t, ms, v, h in args.sleep_hop]
    if not hops and not args.loop:
        parser.error("give at least one --hop, --sleep-hop or --loop")
    return Relays(args.group, hops, [loop(each) for each in args.loop], args.nice)


async def relay(kwargs: dict[str, Any], relays: Relays, stop: asyncio.Event) -> None:
    hops = {h.source: h for h in relays.hops}
    loops = {topic: each for each in relays.loops for topic in (each.start, each.results)}
    producer = AIOKafkaProducer(**kwargs, acks="all")
    consumer = AIOKafkaConsumer(
        *relays.sources, **kwargs, group_id=relays.group, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    sleeping: set[asyncio.Task[None]] = set()
    await producer.start()
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():  # what to do is decided per topic, not record
                looped = loops.get(tp.topic)
                if looped is not None:
                    await _loop_on(producer, looped, tp.topic, records)
                    continue
                out = hops[tp.topic]
                if out.sleep_s:
                    _sleep_then_relay(producer, out, records, sleeping)
                    continue
                for record in records:
                    await producer.send(out.target, out.value, key=record.key, headers=out.headers)
    finally:
        await consumer.stop()
        await producer.stop()


async def _loop_on(
    producer: AIOKafkaProducer, looped: Loop, source: str, records: Sequence[Any]
) -> None:
    for record in records:
        target, headers = looped.next(source, record.headers)
        await producer.send(target, looped.value, key=record.key, headers=headers)


def _sleep_then_relay(
    producer: AIOKafkaProducer, out: Hop, records: Sequence[Any], tasks: set[asyncio.Task[None]]
) -> None:
    """Each record relayed after ``out.sleep_s``, concurrently (a step that sleeps)."""
    for record in records:
        headers = [*out.headers, *_round_of(record.headers)]
        _in_background(tasks, _sleep_then_send(producer, out, record.key, headers))


def _round_of(headers: Sequence[tuple[str, bytes]] | None) -> Headers:
    """A chain record's ``floor-round`` header, passed on by the service's side."""
    return [(key, value) for key, value in headers or () if key == ROUND]


async def _sleep_then_send(
    producer: AIOKafkaProducer, out: Hop, key: bytes | None, headers: Headers
) -> None:
    await asyncio.sleep(out.sleep_s)
    await producer.send(out.target, out.value, key=key, headers=headers)


def _in_background(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    tasks.add(task)  # held until done: the loop keeps only weak references to tasks
    task.add_done_callback(tasks.discard)


async def _main(relays: Relays) -> None:
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        running.add_signal_handler(sig, stop.set)
    await relay(load_settings().client_kwargs(), relays, stop)


def main(argv: Sequence[str] | None = None) -> None:
    relays = parse_args(argv)
    if relays.nice is not None:
        set_nice(relays.nice, "floor relay")
    asyncio.run(_main(relays))


if __name__ == "__main__":
    main()
