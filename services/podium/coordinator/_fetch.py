"""How long the coordinator's Kafka fetches may wait on the broker: faust hard-codes 1.5 s.

aiokafka keeps one fetch in flight per broker, and a partition whose records are still
buffered is left out of it. When the coordinator consumes those records and the run's
next event lands on the same partition, that event waits for the in-flight fetch to
return: as soon as another partition in it has data, or after ``fetch.max.wait.ms``.
Under load most hops met the second case: with faust's 1,500 ms, a 3-step benchmark
run spent ~300 ms per coordinator hop while the coordinator sat 80% idle (42 runs/s);
with 20 ms the same machine did 162 runs/s. The price of a short wait is an empty fetch
round trip every ``fetch_max_wait_ms`` while idle (50 per second at 20 ms: cheap).
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
