"""faust's producer with one fix: a flush waits for every buffered table write.

faust commits input offsets right after ``producer.flush()``. Table writes (the ``runs``
changelog) are not sent directly: they wait in faust's ``ProducerBuffer``, and its flush
returns as soon as 0.1 s pass without one of them being handed to the client (a slow or
briefly unavailable broker). The commit that follows would then count an event as done
while the state it produced was still only in memory; a crash at that moment would lose
that state. Here the flush keeps draining until the buffer is empty.
"""

from __future__ import annotations

from typing import Protocol

from faust.transport.drivers import aiokafka as faust_kafka


class _Buffer(Protocol):
    @property
    def size(self) -> int: ...

    async def flush(self) -> None: ...


async def drain(buffer: _Buffer) -> None:
    """Flush ``buffer`` until nothing is left in it (each flush may give up early)."""
    while buffer.size:
        await buffer.flush()


class Producer(faust_kafka.Producer):
    async def flush(self) -> None:
        await drain(self.buffer)
        await super().flush()
