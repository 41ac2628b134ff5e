"""A faust-streaming app serving one Podium step through podium.faust, for
tests/integration/e2e/test_faust_service_e2e.py, which runs it as
``python -m tests.integration.e2e.faust_app worker`` in the stack's environment.

Its handler returns what it got (input, upstream, attempt); input ``fail_attempts: n``
raises on attempts <= n (retryable), ``fatal: true`` raises NonRetryableError.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faust

from podium.faust import step_agent
from podium.service import NonRetryableError, Service, StepContext
from podium.settings import PodiumSettings

PREFIX = os.environ.get("PODIUM_TEST_PREFIX", "e2e")
SERVICE = "faust"
settings = PodiumSettings()
app = faust.App(
    f"{PREFIX}-{SERVICE}",
    broker=f"kafka://{settings.kafka.bootstrap_servers}",
    datadir=str(Path(settings.home) / "faust-data"),  # not the working directory (the checkout)
    web_enabled=False,
    topic_disable_leader=True,  # see podium.faust: faust 0.11 creates no topic on aiokafka 0.13+
)


@step_agent(app, Service(SERVICE, request_topic=f"{PREFIX}.steps.{SERVICE}"), settings=settings)
async def summarize(input: Any, ctx: StepContext) -> Any:
    script = input if isinstance(input, dict) else {}
    if script.get("fatal"):
        raise NonRetryableError(f"{ctx.step} cannot succeed")
    if ctx.attempt <= int(script.get("fail_attempts", 0)):
        raise RuntimeError(f"{ctx.step} failed on attempt {ctx.attempt}")
    return {"by": SERVICE, "input": input, "upstream": dict(ctx.upstream), "attempt": ctx.attempt}


if __name__ == "__main__":
    app.main()
