"""The Kafka floor's relay: consume from one topic, produce to the next, nothing else.

Run as ``python -m podium.bench._relay --group G --hop SRC DST VALUE_BYTES HEADER_BYTES ...``
(one process per Podium process it stands in for). Each record consumed from SRC
becomes a record on DST with the same key and a value and headers of the given
sizes, sent without waiting for each acknowledgement (as the coordinator sends), ``acks=all``.
No decoding, no state, no commits: the cost of the hops themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from podium._priority import set_nice
from podium.settings import load_settings


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    value: bytes
    headers: list[tuple[str, bytes]]


def hop(source: str, target: str, value_bytes: int, header_bytes: int) -> Hop:
    """A hop whose outgoing messages have these sizes (one header of ``header_bytes``)."""
    headers = [("h", b"h" * max(0, header_bytes - 1))] if header_bytes > 0 else []
    return Hop(source, target, b"v" * value_bytes, headers)


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, list[Hop], int | None]:
    """(group, hops, nice): ``--nice`` as the coordinator's, for the relay standing for it."""
    parser = argparse.ArgumentParser(prog="podium.bench._relay")
    parser.add_argument("--group", required=True)
    parser.add_argument("--hop", nargs=4, action="append", required=True, metavar="ARG")
    parser.add_argument("--nice", type=int)
    args = parser.parse_args(argv)
    hops = [hop(s, t, int(v), int(h)) for s, t, v, h in args.hop]
    return args.group, hops, args.nice


async def relay(kwargs: dict[str, Any], group: str, hops: list[Hop], stop: asyncio.Event) -> None:
    by_source = {h.source: h for h in hops}
    producer = AIOKafkaProducer(**kwargs, acks="all")
    consumer = AIOKafkaConsumer(
        *by_source, **kwargs, group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                out = by_source[tp.topic]
                for record in records:
                    await producer.send(out.target, out.value, key=record.key, headers=out.headers)
    finally:
        await consumer.stop()
        await producer.stop()


async def _main(group: str, hops: list[Hop]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await relay(load_settings().client_kwargs(), group, hops, stop)


def main(argv: Sequence[str] | None = None) -> None:
    group, hops, nice = parse_args(argv)
    if nice is not None:
        set_nice(nice, "floor relay")
    asyncio.run(_main(group, hops))


if __name__ == "__main__":
    main()
