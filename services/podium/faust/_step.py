"""The step agent: a faust agent serving a Podium request topic with a Podium handler.

Values are read raw and decoded here, not by faust's serializer: a faust agent stops at a
value it cannot deserialize, and a step service must dead-letter such a record and go on.
Each request goes through :mod:`podium.service`'s own execution (``Answer.of``: the same
context, envelope, error mapping, redaction and output limit as ``podium service``), and
its result is sent to the results topic keyed by the run id (faust's producer is
aiokafka's, whose default partitioner is murmur2, as Podium partitions) with the request's
trace headers and the routing headers. The agent takes the next record, so faust may
commit this one's offset, only once the broker acknowledged the result.

One request runs at a time per agent, so a cancel notice cannot stop one in flight: it is
remembered, and a request whose notice came first is skipped.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
from faust.types import Message, StreamT

from podium.codec import Codec, CodecError, WrongEventTypeError
from podium.contract import StepCancelRequested, StepRequested
from podium.dlq import send_dead_letter
from podium.service import Answer, Handler, Service
from podium.settings import PodiumSettings

log = logging.getLogger("podium.faust")
REMEMBERED_CANCELS = 10_000
Attempt = tuple[str, str, int]
LEADER_WARNING = (
    "faust app %s declares its leader topic: faust-streaming 0.11 creates topics with a "
    "request aiokafka 0.13 and later no longer have, and its worker stops at start; pass "
    "topic_disable_leader=True to faust.App and create the topics with `podium topics apply`"
)


@dataclass(frozen=True, slots=True)
class _Record:
    """A consumed faust message as :func:`podium.dlq.dead_letter` reads records."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int

    @classmethod
    def of(cls, message: Message) -> _Record:
        headers = _header_pairs(message.headers)
        timestamp = round(message.timestamp * 1000)  # faust's is in seconds
        return cls(
            message.topic, message.partition, message.offset, message.key, message.value,
            headers, timestamp,
        )  # fmt: skip


def _header_pairs(raw: Any) -> list[tuple[str, bytes]]:
    """faust gives headers as aiokafka's pairs or as a mapping; Podium reads a list."""
    pairs = raw.items() if isinstance(raw, dict) else raw or []
    return [(str(key), bytes(value)) for key, value in pairs if value is not None]


class _Producer:
    """faust's producer behind the ``send_and_wait(topic, value=, key=, headers=)`` shape
    that :func:`podium.dlq.send_dead_letter` and the results use."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    async def send_and_wait(
        self, topic: str, value: Any = None, key: Any = None, **kwargs: Any
    ) -> Any:
        headers = kwargs.get("headers")
        return await self.app.producer.send_and_wait(topic, key, value, None, None, headers)


@dataclass
class StepAgent:
    """What :func:`step_agent` returns: the service it serves and the faust agent."""

    app: faust.App
    service: Service
    codec: Codec = field(default_factory=Codec)
    worker: str = field(default_factory=lambda: f"faust/{socket.gethostname()}/{os.getpid()}")
    agent: Any = None
    _cancelled: OrderedDict[Attempt, None] = field(default_factory=OrderedDict)

    @property
    def producer(self) -> _Producer:
        return _Producer(self.app)

    async def serve(self, stream: StreamT[Any]) -> None:
        """The agent's body: every record of the request topic, in order."""
        async for event in stream.events():
            await self.handle(_Record.of(event.message))

    async def handle(self, record: _Record) -> None:
        try:
            message = self._decode(record)
        except CodecError as error:
            await self._dead_letter(record, error)
            return
        key = (message.run_id, message.step, message.attempt)
        if isinstance(message, StepCancelRequested):
            self._remember(key)
        elif key in self._cancelled:
            log.info("request %s was cancelled before it ran: skipped", key)
        else:
            await self._serve(message, record)

    def _decode(self, record: _Record) -> StepRequested | StepCancelRequested:
        event = self.codec.decode_event(record.value)
        if not isinstance(event, StepRequested | StepCancelRequested):
            raise WrongEventTypeError(event.avro_name, ("StepRequested", "StepCancelRequested"))
        return event

    def _remember(self, key: Attempt) -> None:
        self._cancelled[key] = None
        while len(self._cancelled) > REMEMBERED_CANCELS:
            self._cancelled.popitem(last=False)

    async def _serve(self, request: StepRequested, record: _Record) -> None:
        beat = partial(self._heartbeat, request, record.headers)
        result = await Answer.of(
            self.service, request, record.headers, codec=self.codec, beat=beat, worker=self.worker
        )
        if result.poison is not None:
            await self._dead_letter(record, result.poison)
        await self._send(result)

    async def _heartbeat(
        self,
        request: StepRequested,
        headers: list[tuple[str, bytes]],
        progress: Any,
        extend_ms: int | None,
    ) -> None:
        beat = Answer.heartbeat(
            request, headers, codec=self.codec, progress=progress, extend_ms=extend_ms,
            worker=self.worker,
        )  # fmt: skip
        await self._send(beat)

    async def _send(self, result: Answer) -> None:
        topic = self.service.results_topic
        await self.producer.send_and_wait(topic, result.value, result.key, headers=result.headers)

    async def _dead_letter(self, record: _Record, error: BaseException) -> None:
        log.error("request at %s[%d]@%d cannot be handled: %s; sending it to the DLQ",
                  record.topic, record.partition, record.offset, error)  # fmt: skip
        await send_dead_letter(
            self.producer, record, error, group=self.app.conf.id, run_keyed=True,
            max_bytes=self.service.max_message_bytes,
        )  # fmt: skip


def step_agent(
    app: faust.App, service: Service | str, *, settings: PodiumSettings | None = None
) -> Callable[[Handler], StepAgent]:
    """Decorate an ``async def handler(input, ctx)`` to serve every step of ``service``
    (a name: ``podium.steps.<name>``; or a :class:`Service` with its own topics and
    limits) as a faust agent of ``app``. ``settings`` fill in what the service did not
    choose (the results topic and limits), as ``podium service`` does."""
    if not app.conf.topic_disable_leader:
        log.warning(LEADER_WARNING, app.conf.id)
    chosen = Service(service) if isinstance(service, str) else service
    chosen = chosen.with_settings(settings) if settings is not None else chosen

    def register(handler: Handler) -> StepAgent:
        chosen.default(handler)
        step = StepAgent(app, chosen)
        topic = app.topic(chosen.request_topic, key_serializer="raw", value_serializer="raw")
        step.agent = app.agent(topic, name=f"podium-step-{chosen.name}")(step.serve)
        return step

    return register
