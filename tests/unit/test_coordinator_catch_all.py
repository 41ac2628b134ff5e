"""A record the coordinator's own code fails on is that record's dead letter, not its exit."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from podium.contract import header_value
from podium.coordinator._app import Coordinator
from podium.dlq._letter import DETAIL, REASON
from podium.settings import PodiumSettings


def _record(topic: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 2, 9, 0, 0, b"run-1", b"value", None, 5, 5, [])


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug met on this record")


@pytest.mark.parametrize("route", ["runs", "admissions"])
async def test_an_unexpected_error_becomes_the_records_dead_letter(
    route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9")  # never dialled
    coordinator = Coordinator(PodiumSettings())
    topics = coordinator.topics
    if route == "runs":
        monkeypatch.setattr(coordinator.handler, "handle", _broken)
        monkeypatch.setattr(coordinator.forwarder, "forward", lambda record: None)
        record = _record(topics.runs)
        (letter,) = coordinator._handle_run_event(record, {})
    else:
        monkeypatch.setattr(coordinator.admission, "handle", _broken)
        record = _record(topics.admissions)
        (letter,) = coordinator._handle_admission(record, {})
    assert letter.topic == f"{record.topic}.dlq" and letter.value == b"value"
    assert header_value(letter.headers, REASON) == "handler"
    assert header_value(letter.headers, DETAIL) == "RuntimeError"
    assert coordinator.handler.counters["dead-letter:handler"] == 1
