"""How long the coordinator's Kafka fetches may wait on the broker: faust hard-codes 1.5 s.

aiokafka keeps one fetch in flight per broker, and a partition whose records are still
buffered is left out of it. When the coordinator consumes those records and the run's
next event lands on the same partition, that event waits for the in-flight fetch to
return: as soon as another partition in it has data, or after ``fetch.max.wait.ms``.
Under load most hops met the second case: with faust's 1,500 ms, a 3-step benchmark
run spent ~300 ms per coordinator hop while the coordinator sat 80% idle (42 runs/s).
Measured on the 2-core benchmark machine (``podium bench``, two runs each): 20 ms gave
~150 runs/s, 100 ms ~160 runs/s with the lowest transition latency and chain overhead,
300 ms fewer runs/s and a slower chain. The price of a short wait is an empty fetch round
trip every ``fetch_max_wait_ms`` while idle (10 per second at 100 ms: nothing).
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread


def fetching_thread(fetch_max_wait_ms: int) -> type[AIOKafkaConsumerThread]:
    """faust's consumer thread, whose aiokafka consumer waits at most ``fetch_max_wait_ms``."""

    class _Thread(AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> Any:
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = fetch_max_wait_ms  # read when the consumer starts
            return consumer

    return _Thread
