"""The demo's Kafka and HTTP calls, each a thin wrapper over Podium's own clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp

from podium.codec import Codec
from podium.contract import FileLanded, encode_headers
from podium.demo._plan import LOOPBACK
from podium.pipelines import Pipeline
from podium.registry import ApplyResult, apply_pipelines, load_pipeline_files, read_registry
from podium.runs import new_traceparent, open_producer
from podium.settings import PodiumSettings
from podium.topics import Plan, apply_topics, load_topic_specs, open_topic_admin
from podium.triggers import latest_pipelines


async def apply_topic_files(settings: PodiumSettings, folder: Path) -> tuple[Plan, int]:
    """Apply ``topics/*.yaml``; the plan carried out and how many topics are declared."""
    specs = load_topic_specs([folder])
    async with open_topic_admin(settings.client_kwargs()) as admin:
        the_plan = await apply_topics(admin, specs)
    return the_plan, len(specs.topics)


async def apply_pipeline_files(
    settings: PodiumSettings, folder: Path, name: str
) -> tuple[list[ApplyResult], Pipeline | None]:
    """Publish the example pipelines; the results, and the latest version of ``name``.

    The latest version is what the coordinator's triggers use, so it is read back
    from the registry rather than assumed to be the one in the file.
    """
    pipelines, sources = load_pipeline_files([folder])
    kwargs = settings.client_kwargs()
    topic = settings.topics.pipelines
    results = await apply_pipelines(kwargs, pipelines, topic=topic, sources=sources)
    published = await read_registry(kwargs, topic)
    latest = [p for p in latest_pipelines(published.values()) if p.name == name]
    return results, latest[0] if latest else None


async def publish_landed(settings: PodiumSettings, event: FileLanded, codec: Codec) -> None:
    """Announce the landed file on the files-landed topic, keyed by its URI."""
    headers = encode_headers({"traceparent": new_traceparent()})
    async with open_producer(settings.client_kwargs()) as producer:
        await producer.send_and_wait(
            settings.topics.files_landed,
            codec.encode_event(event),
            key=event.uri.encode(),
            headers=headers,
        )


async def healthy(url: str) -> bool:
    """True when ``GET url/healthz`` answers 200 (any failure is "not yet")."""
    timeout = aiohttp.ClientTimeout(total=2)
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{url}/healthz") as response,
        ):
            return response.status == 200
    return False


async def wait_healthy(url: str, interval: float = 0.3) -> None:
    """Return once the API answers its health check (the caller bounds the wait)."""
    while not await healthy(url):
        await asyncio.sleep(interval)


async def approve(url: str, run_id: str, step: str, token: str | None) -> int:
    """``POST url/v1/runs/{run_id}/steps/{step}/approve`` as a person would; its status."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"comment": "approved by the demo through the API", "by": "podium demo"}
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout, headers=headers) as session,
        session.post(f"{url}/v1/runs/{run_id}/steps/{step}/approve", json=body) as answer,
    ):
        return answer.status


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port
