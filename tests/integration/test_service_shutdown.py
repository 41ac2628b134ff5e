"""`podium service MODULE:OBJECT` as a real process: SIGTERM drains, commits and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from podium.contract import StepCompleted
from podium.service import Service, StepContext
from podium.service.testing import make_request
from podium.testing import wait_until
from tests.integration.test_service import ServiceKafka, kafka, running

__all__ = ["kafka"]  # the fixture, shared with test_service.py

MODULE = """
import asyncio
from pathlib import Path

from podium.service import Service

service = Service("slow", request_topic={request!r}, results_topic={results!r}, group_id={group!r})


@service.default
async def slow(input, ctx):
    Path({marker!r}).write_text(ctx.run_id)
    await asyncio.sleep(input["seconds"])
    return {{"slept": input["seconds"]}}
"""


async def start_service(
    kafka: ServiceKafka, folder: Path, *options: str
) -> tuple[asyncio.subprocess.Process, Path]:
    marker = folder / "started"
    module = MODULE.format(
        request=kafka.request_topic,
        results=kafka.results_topic,
        group=kafka.group,
        marker=str(marker),
    )
    (folder / "slow_service.py").write_text(module)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), *sys.path]),
        "PODIUM_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap,
    }
    podium = Path(sys.executable).with_name("podium")
    with (folder / "stderr.log").open("wb") as log:  # the child keeps its own descriptor
        process = await asyncio.create_subprocess_exec(
            str(podium), "service", "slow_service:service", *options, env=env, stderr=log
        )
    return process, marker


async def started(marker: Path) -> None:
    async def exists() -> bool:
        return marker.exists()

    await wait_until(exists, timeout=60, what="the handler started")


async def position_for_group(kafka: ServiceKafka) -> tuple[int, int]:
    """Where a new consumer of the group starts, and where the partition ends."""
    partition = TopicPartition(kafka.request_topic, 0)
    consumer = AIOKafkaConsumer(group_id=kafka.group, **kafka.kwargs())
    await consumer.start()
    try:
        consumer.assign([partition])
        position = await consumer.position(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        return position, end
    finally:
        await consumer.stop()


async def test_sigterm_lets_the_slow_handler_finish_commits_and_exits_0(
    kafka: ServiceKafka, tmp_path: Path
) -> None:
    process, marker = await start_service(kafka, tmp_path, "--grace", "30")
    request = make_request("slow", {"seconds": 2})
    try:
        await kafka.send(request)
        await started(marker)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    [result] = await kafka.results(1)
    assert isinstance(result.event, StepCompleted) and result.event.output() == {"slept": 2}
    assert result.event.run_id == request.run_id
    assert await kafka.committed() == 1
    assert await position_for_group(kafka) == (1, 1)  # nothing left to redeliver


async def test_a_handler_outlasting_the_grace_is_not_committed_and_is_redelivered(
    kafka: ServiceKafka, tmp_path: Path
) -> None:
    process, marker = await start_service(kafka, tmp_path, "--grace", "0.5")
    request = make_request("slow", {"seconds": 600})
    try:
        await kafka.send(request)
        await started(marker)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert await kafka.committed() is None
    quick = Service("slow")

    @quick.default
    async def again(input: Any, ctx: StepContext) -> str:
        return f"redelivered {ctx.run_id}"

    async with running(kafka.service(quick), kafka):
        [result] = await kafka.results(1)
    assert isinstance(result.event, StepCompleted)
    assert result.event.output() == f"redelivered {request.run_id}"
