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

What a step author needs is exported here (and, for runtimes that consume requests
themselves such as :mod:`podium.faust`, ``Answer``: one request's result as the record to
send); :mod:`podium.service.testing` builds requests
for testing handlers without Kafka; dead letters are :mod:`podium.dlq`'s.
"""

from podium.service._answer import Answer
from podium.service._context import StepContext, StepLogger
from podium.service._errors import (
    NonRetryableError,
    PoisonMessage,
    SecretUnavailable,
    ServiceLoadError,
    StepError,
)
from podium.service._load import load_service, run_until_signalled
from podium.service._runner import ServiceRunner, ServiceStats
from podium.service._service import (
    DEFAULT_CONCURRENCY,
    DEFAULT_GRACE_S,
    RESULTS_TOPIC,
    Handler,
    Service,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GRACE_S",
    "RESULTS_TOPIC",
    "Answer",
    "Handler",
    "NonRetryableError",
    "PoisonMessage",
    "SecretUnavailable",
    "Service",
    "ServiceLoadError",
    "ServiceRunner",
    "ServiceStats",
    "StepContext",
    "StepError",
    "StepLogger",
    "load_service",
    "run_until_signalled",
]
