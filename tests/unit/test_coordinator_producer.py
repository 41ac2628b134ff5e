"""Before the coordinator commits, every buffered table write has been handed to the
client, even when faust's own buffer flush gives up early (a slow broker)."""

from __future__ import annotations

from podium.coordinator._producer import drain


class _SlowBuffer:
    """Like faust's ProducerBuffer when the broker is slow: a flush call gives up after
    handing over at most one message, and the first two hand over none."""

    def __init__(self, messages: int) -> None:
        self.size = messages
        self.calls = 0

    async def flush(self) -> None:
        self.calls += 1
        if self.calls > 2 and self.size:
            self.size -= 1


async def test_drain_returns_only_when_the_buffer_is_empty() -> None:
    buffer = _SlowBuffer(messages=3)
    await drain(buffer)
    assert buffer.size == 0
    assert buffer.calls == 5


async def test_an_empty_buffer_is_not_flushed() -> None:
    buffer = _SlowBuffer(messages=0)
    await drain(buffer)
    assert buffer.calls == 0
