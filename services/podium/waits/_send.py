"""Sending a waiting step's result, as any step service does (the shell)."""

from __future__ import annotations

from typing import Any

from podium.codec import Codec
from podium.contract import StepCompleted, StepFailed, encode_headers, routing_headers


async def send_result(
    producer: Any,
    codec: Codec,
    topic: str,
    result: StepCompleted | StepFailed,
    trace: dict[str, str],
) -> None:
    """To the results topic keyed by run id, with the request's trace; waits for the ack."""
    headers = [*encode_headers(trace), *routing_headers(result.run_id, result.step, result.attempt)]
    sent = await producer.send(
        topic, codec.encode_event(result), key=result.run_id.encode(), headers=headers
    )
    await sent
