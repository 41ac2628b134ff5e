"""A step service: a name, its topics, and the handlers of its steps.

    service = Service("transform")

    @service.step("aggregate")
    async def aggregate(input: dict, ctx: StepContext) -> dict: ...

    @service.default                     # any other step of this service
    async def anything(input, ctx): ...

    @service.compensation("aggregate")   # undo it (request ``compensate:aggregate``)
    async def cleanup(input, ctx): ...

Handlers are looked up: the exact step name (a map item's ``<step>[<index>]``: the handler
of ``<step>``, its input holding ``item`` and ``index``); for a compensation, the handler of
the compensated step's compensation, then the default compensation; finally the
default handler (which can read ``ctx.compensate``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from podium.contract import COMPENSATION_PREFIX, map_item_of
from podium.service._context import StepContext
from podium.settings import DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, load_settings

if TYPE_CHECKING:
    from podium.settings import PodiumSettings

Handler = Callable[[Any, StepContext], Awaitable[Any]]
H = TypeVar("H", bound=Handler)

RESULTS_TOPIC = "podium.step.results"
DEFAULT_CONCURRENCY = 8
DEFAULT_GRACE_S = 30.0
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _is_async(function: object) -> bool:
    """A sync handler would block the event loop, and every other handler with it."""
    return inspect.iscoroutinefunction(function)


@dataclass(frozen=True)
class _Handlers:
    steps: dict[str, Handler] = field(default_factory=dict)
    compensations: dict[str, Handler] = field(default_factory=dict)
    fallback: dict[str, Handler] = field(default_factory=dict)
    """``"step"`` / ``"compensation"``: the default handlers, when registered."""


@dataclass(frozen=True)
class Service:
    """A named step service; run it with ``podium service MODULE:OBJECT`` or :meth:`run`."""

    name: str
    request_topic: str = ""
    """Defaults to ``podium.steps.<name>``."""
    results_topic: str = RESULTS_TOPIC
    group_id: str = ""
    """Defaults to ``podium-service-<name>``."""
    concurrency: int = DEFAULT_CONCURRENCY
    grace_s: float = DEFAULT_GRACE_S
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    """Largest output a handler may return, as JSON (``PODIUM_LIMITS__MAX_OUTPUT_BYTES``
    under ``podium service``): a larger one fails the step, not retried."""
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    """Largest request served and largest message written (``PODIUM_LIMITS__MAX_MESSAGE_BYTES``
    under ``podium service``): a larger request is poison; a dead letter is cut to fit."""
    _handlers: _Handlers = field(default_factory=_Handlers, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"service name {self.name!r}: use letters, digits, '.', '_', '-'")
        if self.concurrency < 1 or self.grace_s < 0:
            raise ValueError("concurrency must be >= 1 and grace_s >= 0")
        if not self.request_topic:
            object.__setattr__(self, "request_topic", f"podium.steps.{self.name}")
        if not self.group_id:
            object.__setattr__(self, "group_id", f"podium-service-{self.name}")

    @property
    def dlq_topic(self) -> str:
        return f"{self.request_topic}.dlq"

    def step(self, name: str | None = None) -> Callable[[H], H]:
        """Register the handler of step ``name`` (None: the default handler)."""
        if name is None:
            return lambda handler: self._add(self._handlers.fallback, "step", handler)
        return lambda handler: self._add(self._handlers.steps, name, handler)

    def default(self, handler: H) -> H:
        """Register the handler of every step that has no handler of its own."""
        return self._add(self._handlers.fallback, "step", handler)

    def compensation(self, step: str | None = None) -> Callable[[H], H]:
        """Register the handler that undoes ``step`` (None: any step without its own)."""
        if step is None:
            return lambda handler: self._add(self._handlers.fallback, "compensation", handler)
        return lambda handler: self._add(self._handlers.compensations, step, handler)

    def handler_for(self, step: str, compensates: str | None = None) -> Handler | None:
        """The handler to run for ``step`` (a compensation when ``compensates`` is set)."""
        handlers = self._handlers
        found = handlers.steps.get(step)
        if found is None and (item := map_item_of(step)) is not None:  # <step>[<index>]
            found = handlers.steps.get(item[0])
        if found is None and compensates is not None:
            found = handlers.compensations.get(compensates) or handlers.fallback.get("compensation")
        return found or handlers.fallback.get("step")

    def steps(self) -> list[str]:
        """Names with a handler of their own (``*`` for the default)."""
        handlers = self._handlers
        undo = [COMPENSATION_PREFIX + step for step in handlers.compensations]
        return [*handlers.steps, *undo, *(f"*{kind}" for kind in handlers.fallback)]

    def replace(self, **changes: Any) -> Service:
        """A copy with other settings (topics, group, limits) and the same handlers.

        Topic and group defaults are recomputed from a new ``name`` unless given.
        """
        if "name" in changes:
            changes.setdefault("request_topic", "")
            changes.setdefault("group_id", "")
        return dataclasses.replace(self, **changes)

    def _add(self, table: dict[str, Handler], key: str, handler: H) -> H:
        if not _is_async(handler):
            raise TypeError(f"{self.name}: handler {handler!r} must be an `async def` function")
        if key in table:
            raise ValueError(f"{self.name}: {key!r} already has a handler ({table[key]!r})")
        table[key] = handler
        return handler

    def with_settings(self, settings: PodiumSettings) -> Service:
        """A copy that takes from ``settings`` what it did not choose itself: the results
        topic (``PODIUM_TOPICS__STEP_RESULTS``) and the output and message limits."""
        changes: dict[str, Any] = {}
        if self.results_topic == RESULTS_TOPIC:
            changes["results_topic"] = settings.topics.step_results
        if self.max_output_bytes == DEFAULT_MAX_OUTPUT_BYTES:
            changes["max_output_bytes"] = settings.limits.max_output_bytes
        if self.max_message_bytes == DEFAULT_MAX_MESSAGE_BYTES:
            changes["max_message_bytes"] = settings.limits.max_message_bytes
        return self.replace(**changes) if changes else self

    async def run(
        self, settings: PodiumSettings | None = None, *, stop: asyncio.Event | None = None
    ) -> None:
        """Serve requests until ``stop`` is set, then drain within ``grace_s`` and commit.

        ``settings`` (by default read from the ``PODIUM_*`` environment, as ``podium
        service`` does) give the cluster, with its SASL and TLS, and what
        :meth:`with_settings` fills in."""
        from podium.service._metrics import serving_metrics
        from podium.service._runner import ServiceRunner  # the Kafka side, on first run
        from podium.streams import KafkaTransport

        settings = settings or load_settings()
        transport = KafkaTransport(settings.client_kwargs())
        runner = ServiceRunner(self.with_settings(settings), transport)
        with serving_metrics(runner, settings.service):
            await runner.run(stop or asyncio.Event())
