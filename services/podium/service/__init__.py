"""Podium's step-service SDK: a step handler is an async function named after its step.

    from podium.service import NonRetryableError, Service, StepContext

    service = Service("transform")          # consumes podium.steps.transform

    @service.step("aggregate")
    async def aggregate(input: dict, ctx: StepContext) -> dict:
        ctx.logger.info("aggregating %s", ctx.params["uri"])   # carries run id and step
        await ctx.heartbeat({"done": 10})                      # for long steps
        return {"rows": 3}                                     # -> StepCompleted

Run it with ``podium service my.module:service``. Returning emits StepCompleted;
raising emits StepFailed (retryable unless NonRetryableError). Raising
``PoisonMessage("why")`` says the request itself can never be handled: it goes to
``<request topic>.dlq`` (reason ``handler``, replayable) and a non-retryable
StepFailed fails the step now. Offsets are
committed only once the result is acknowledged; duplicates in flight run once;
SIGTERM drains in-flight handlers within a grace period.

When a run no longer needs an attempt (it was cancelled, or failed elsewhere),
the coordinator sends a StepCancelRequested to the request topic: the running
handler is cancelled and sends no result (a request arriving after its cancel
is skipped). Handlers therefore see ``asyncio.CancelledError`` at any ``await``
and should be cancellation-safe: clean up in ``try/finally`` (or ``async with``),
re-raise ``CancelledError`` if they catch it, and keep side effects idempotent.
"""

from podium.service._cancel import Cancellations
from podium.service._context import StepContext, StepLogger
from podium.service._dedup import InFlight
from podium.service._dlq import DeadLetter, dead_letter, dlq_topic, reason_of, send_dead_letter
from podium.service._envelope import StepInput, compensated_step, split_input
from podium.service._errors import NonRetryableError, PoisonMessage, ServiceLoadError, StepError
from podium.service._execute import Outcome, execute_step, run_step
from podium.service._load import load_service, run_until_signalled
from podium.service._offsets import OffsetTracker
from podium.service._results import Failure, failure_of, output_json, result_headers
from podium.service._runner import ServiceRunner, ServiceStats
from podium.service._service import (
    DEFAULT_CONCURRENCY,
    DEFAULT_GRACE_S,
    RESULTS_TOPIC,
    Handler,
    Service,
)
from podium.service._testing import make_cancel, make_request

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GRACE_S",
    "RESULTS_TOPIC",
    "Cancellations",
    "DeadLetter",
    "Failure",
    "Handler",
    "InFlight",
    "NonRetryableError",
    "OffsetTracker",
    "Outcome",
    "PoisonMessage",
    "Service",
    "ServiceLoadError",
    "ServiceRunner",
    "ServiceStats",
    "StepContext",
    "StepError",
    "StepInput",
    "StepLogger",
    "compensated_step",
    "dead_letter",
    "dlq_topic",
    "execute_step",
    "failure_of",
    "load_service",
    "make_cancel",
    "make_request",
    "output_json",
    "reason_of",
    "result_headers",
    "run_step",
    "run_until_signalled",
    "send_dead_letter",
    "split_input",
]
