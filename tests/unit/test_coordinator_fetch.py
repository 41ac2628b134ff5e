"""The coordinator's Kafka consumer waits at most ``fetch_max_wait_ms`` on the broker,
not faust's hard-coded 1.5 s (which held each busy hop ~300 ms: see ``_fetch``)."""

from __future__ import annotations

from pathlib import Path

from podium.coordinator._app import Coordinator
from podium.coordinator._consumer import _Consumer
from podium.settings import PodiumSettings


async def test_the_coordinators_consumer_uses_the_configured_fetch_wait(tmp_path: Path) -> None:
    settings = PodiumSettings.model_validate(
        {"kafka": {"bootstrap_servers": "127.0.0.1:9"}, "coordinator": {"fetch_max_wait_ms": 25}}
    )
    app = Coordinator(settings, datadir=tmp_path).app
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    try:
        assert consumer._fetch_max_wait_ms == 25
        # ... and it is still the consumer that rewinds never-committed partitions
        assert isinstance(app.consumer, _Consumer)
    finally:
        await consumer.stop()


def test_the_default_fetch_wait_is_short() -> None:
    assert PodiumSettings().coordinator.fetch_max_wait_ms <= 100  # faust: 1,500
