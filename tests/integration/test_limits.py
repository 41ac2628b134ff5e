"""Input limits against the real broker: the coordinator dead-letters what is over them
(reason ``validation``, the limit named), the API answers 413, `podium run` refuses.

One stack serves the module, its processes started with small limits
(``PODIUM_LIMITS__*``); each case sends one message over a limit, then a good run into the
same partition, and checks both: the good run succeeds, the bad message is in the DLQ.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaProducer

from podium.api import ApiSettings, create_app, open_services
from podium.dlq import DlqEntry, read_dlq
from podium.dlq._entry import Origin
from podium.pipelines import Pipeline
from podium.settings import LimitsSettings, PodiumSettings
from podium.testing import wait_until
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import REPO, EventWatcher, Stack, same_partition_id
from tests.integration.test_bad_input import run_requested

LIMITS = LimitsSettings(max_message_bytes=16 * 1024, max_params_bytes=2048)
RUN_TIMEOUT = 60.0


class LimitedStack(Stack):
    """A stack whose processes and settings use ``LIMITS``."""

    @property
    def settings(self) -> PodiumSettings:
        return super().settings.model_copy(update={"limits": LIMITS})

    def env(self) -> dict[str, str]:
        env = super().env()
        for name, value in LIMITS.model_dump().items():
            env[LimitsSettings.env_name(name)] = str(value)
        return env


@pytest.fixture(scope="module")
def limited(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("limits")
    stack = LimitedStack(bootstrap=kafka_bootstrap, home=home)
    asyncio.run(stack.create_topics(services=["worker"]))
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    try:
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def texts(limited: Stack) -> Pipeline:
    """One step on the worker; a free-text param ``note``."""
    p = limited.prefix
    defined = pipeline(p, step(p, "work"), params={"note": {"type": "string", "default": ""}})
    asyncio.run(limited.publish(defined))
    return defined


async def _send_run(stack: Stack, pipeline_name: str, note: str) -> tuple[str, int, int]:
    run_id = f"big-{uuid.uuid4().hex[:10]}"
    value = stack.codec.encode_event(run_requested(pipeline_name, {"note": note}, run_id))
    async with AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap, acks="all", max_request_size=2_000_000
    ) as producer:
        meta = await producer.send_and_wait(stack.topics.runs, value, key=run_id.encode())
    return run_id, meta.partition, meta.offset


async def _dead_letter(stack: Stack, partition: int, offset: int) -> DlqEntry | None:
    entries, _ = await read_dlq(stack.settings.client_kwargs(), f"{stack.topics.runs}.dlq")
    origin = Origin(stack.topics.runs, partition, offset)
    return next((e for e in entries if e.origin == origin), None)


@pytest.mark.parametrize(
    ("size", "detail", "limit"),
    [
        (3000, "max-params-bytes", "max_params_bytes"),
        (20_000, "max-message-bytes", "max_message_bytes"),
    ],
    ids=["params", "message"],
)
async def test_the_coordinator_dead_letters_input_over_a_limit_and_runs_the_next(
    limited: Stack, texts: Pipeline, size: int, detail: str, limit: str
) -> None:
    async with EventWatcher(limited) as watcher:
        big, partition, offset = await _send_run(limited, texts.name, "x" * size)
        good = await limited.request_run(texts.name, {"note": "ok"}, run_id=same_partition_id(big))
        seen = await watcher.until(
            lambda s: s.terminal(good), timeout=RUN_TIMEOUT, what="the good run finishes"
        )
    assert seen.terminal(good) == ["SUCCEEDED"] and seen.of(big) == []
    entry = await wait_until(
        lambda: _dead_letter(limited, partition, offset), timeout=RUN_TIMEOUT, what="dead letter"
    )
    assert (entry.reason, entry.detail, entry.run_id) == ("validation", detail, big)
    assert limit in entry.error and f"PODIUM_LIMITS__{limit.upper()}" in entry.error


async def test_the_api_answers_413_naming_params_and_the_limit(
    limited: Stack, texts: Pipeline
) -> None:
    api = ApiSettings(start_timeout_s=30)
    async with (
        open_services(limited.settings, api) as services,
        TestClient(TestServer(create_app(services))) as client,
    ):
        body = {"pipeline": texts.name, "params": {"note": "x" * 3000}}
        response = await client.post("/v1/runs", data=json.dumps(body))
        answer: dict[str, Any] = await response.json()
        assert response.status == 413, answer
        assert answer["error"]["field"] == "params"
        assert "max_params_bytes" in answer["error"]["message"]
        small = {"pipeline": texts.name, "params": {"note": "fine"}}
        accepted = await client.post("/v1/runs", data=json.dumps(small))
        assert accepted.status == 202


def test_podium_run_refuses_params_over_the_limit_naming_it(
    limited: Stack, texts: Pipeline
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "podium", "run", texts.name, "--param", f"note={'x' * 3000}"],
        env=limited.env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "params (--param): " in done.stderr
    assert "the limit is 2048 (max_params_bytes, set by PODIUM_LIMITS__MAX_PARAMS_BYTES)" in (
        done.stderr
    )
    assert done.stdout == ""
