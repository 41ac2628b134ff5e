"""Builders for testing step handlers without Kafka: a request as the coordinator would
send it, its cancel notice, and one step run through the SDK's execution path.

    from podium.service.testing import make_request, run_step

    outcome = await run_step(service, make_request("aggregate", params={"uri": "..."}))
"""

from podium.service._execute import run_step
from podium.service._testing import make_cancel, make_request

__all__ = ["make_cancel", "make_request", "run_step"]
