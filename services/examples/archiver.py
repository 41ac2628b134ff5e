"""An archive job that knows nothing of Podium: it watches a landing folder, copies each new
CSV file into an archive folder, and announces it with its own JSON event on its own topic.

    ARCHIVER_BOOTSTRAP=localhost:9092 ARCHIVER_WATCH=/data/landing \\
    ARCHIVER_INTO=/data/archive python -m examples.archiver

Its event, on ``ARCHIVER_TOPIC`` (default ``examples.files.archived``), keyed by the
file's SHA-256 (its own choice of key, so not Podium's run-id partitioning)::

    {"type": "FileArchived", "uri": "file:///data/landing/.../sales.csv",
     "archive": "file:///data/archive/<sha256>.csv", "sha256": "...", "archived_at": "..."}

The demo pipeline's ``archived`` step (``kind: event``) waits for it by its ``uri``. It
imports aiokafka and the standard library only: no Podium schema, header or SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

POLL_S = 0.5


def announcement(source: Path, archived: Path, digest: str) -> dict[str, str]:
    return {
        "type": "FileArchived",
        "uri": source.absolute().as_uri(),  # as the uploader named it: no symlinks resolved
        "archive": archived.resolve().as_uri(),
        "sha256": digest,
        "archived_at": datetime.now(UTC).isoformat(),
    }


def archive(source: Path, into: Path) -> tuple[Path, str]:
    """Copy ``source`` under its content's hash (the same file twice is one copy)."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    into.mkdir(parents=True, exist_ok=True)
    target = into / f"{digest}{source.suffix}"
    if not target.exists():
        shutil.copyfile(source, target)
    return target, digest


async def watch(producer: AIOKafkaProducer, folder: Path, into: Path, topic: str) -> None:
    done: set[Path] = set()
    while True:
        for source in sorted(folder.rglob("*.csv")) if folder.is_dir() else []:
            if source in done:
                continue
            try:
                await announce(producer, source, into, topic)
            except Exception as exc:  # a full disk, a broker away: try this file again later
                print(f"archiving {source} failed, will retry: {exc!r}", flush=True)
                continue
            done.add(source)
        await asyncio.sleep(POLL_S)


async def announce(producer: AIOKafkaProducer, source: Path, into: Path, topic: str) -> None:
    archived, digest = archive(source, into)
    event = json.dumps(announcement(source, archived, digest)).encode()
    await producer.send_and_wait(topic, event, key=digest.encode())
    print(f"archived {source} as {archived}; announced on {topic}", flush=True)


async def main() -> None:
    folder, into = Path(os.environ["ARCHIVER_WATCH"]), Path(os.environ["ARCHIVER_INTO"])
    topic = os.environ.get("ARCHIVER_TOPIC", "examples.files.archived")
    producer = AIOKafkaProducer(bootstrap_servers=os.environ["ARCHIVER_BOOTSTRAP"], acks="all")
    await producer.start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print(f"archiver: watching {folder} for *.csv, archiving into {into}", flush=True)
    job = asyncio.create_task(watch(producer, folder, into, topic))
    try:
        await stop.wait()
    finally:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(main())
