"""A request's answer as the record to produce, for runtimes other than ServiceRunner
(``podium.faust``) that consume requests themselves and send with their own producer.

The same execution as ``podium service`` (:func:`podium.service._execute.run_result`), the
same encoding, key (the run id) and headers (the request's trace context, or the process
span's with tracing on, then the routing headers); only the sending is left to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from podium.codec import Codec
from podium.contract import Headers, StepRequested
from podium.service._context import Beat
from podium.service._errors import PoisonMessage
from podium.service._execute import run_result
from podium.service._results import heartbeat, result_headers

if TYPE_CHECKING:  # a type only, as in _execute
    from podium.service._service import Service


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send to the service's results topic: ``value`` keyed by ``key`` (the run id,
    UTF-8) with ``headers``; ``poison`` when the handler raised PoisonMessage (the request
    then goes to the DLQ as well)."""

    value: bytes
    key: bytes
    headers: Headers
    poison: PoisonMessage | None = None

    @classmethod
    async def of(
        cls,
        service: Service,
        request: StepRequested,
        headers: Sequence[tuple[str, bytes]],
        *,
        codec: Codec,
        beat: Beat | None = None,
        worker: str | None = None,
    ) -> Answer:
        """Run ``request`` through ``service``'s handler: its StepCompleted or StepFailed."""
        result = await run_result(service, request, headers, heartbeat=beat, worker=worker)
        trace = headers if result.trace is None else result.trace
        value = codec.encode_trusted(result.schema, result.record)
        return cls(value, _key(request), result_headers(request, trace), result.poison)

    @classmethod
    def heartbeat(
        cls,
        request: StepRequested,
        headers: Sequence[tuple[str, bytes]],
        *,
        codec: Codec,
        progress: Any,
        extend_ms: int | None,
        worker: str | None = None,
    ) -> Answer:
        """A StepHeartbeat for ``request``'s attempt, sent now."""
        now = datetime.now(UTC)
        event = heartbeat(request, progress=progress, extend_ms=extend_ms, now=now, worker=worker)
        return cls(codec.encode_event(event), _key(request), result_headers(request, headers))


def _key(request: StepRequested) -> bytes:
    return request.run_id.encode("utf-8")
