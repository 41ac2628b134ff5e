"""The runtime's one seam to Kafka: where its consumers and producers come from.

The engine and the changelog restore ask a :class:`Transport` for their clients instead
of building aiokafka's, so a unit test drives a whole loop on the in-memory one
(:class:`podium.streams.testing.MemoryTransport`) without a broker or private attributes,
as httpx's ``MockTransport`` does for HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


class Transport(Protocol):
    """Makes the clients a loop uses; ``options`` are aiokafka's keyword arguments."""

    def consumer(self, **options: Any) -> AIOKafkaConsumer: ...

    def producer(self, **options: Any) -> AIOKafkaProducer: ...


class KafkaTransport:
    """aiokafka's clients for the cluster in ``client_kwargs`` (``settings.client_kwargs()``:
    bootstrap servers, SASL and TLS); a loop's own options win over them."""

    def __init__(self, client_kwargs: Mapping[str, Any]) -> None:
        self.client_kwargs = dict(client_kwargs)

    def consumer(self, **options: Any) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(**{**self.client_kwargs, **options})

    def producer(self, **options: Any) -> AIOKafkaProducer:
        return AIOKafkaProducer(**{**self.client_kwargs, **options})
