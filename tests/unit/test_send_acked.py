"""A control command's send: the caller learns what could not be sent where, as a
retryable BrokerError, and a send that went through is on the topic with its key."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError

from podium.codec import Codec
from podium.contract import RunControlAction
from podium.errors import BrokerError
from podium.registry._control import control_pipeline
from podium.streams.testing import MemoryBroker, MemoryTransport

TOPIC = "podium.admissions"


def _pause(broker: MemoryBroker) -> None:
    producer = MemoryTransport(broker).producer(partitioner=lambda key, every, free: every[0])
    event = control_pipeline(producer, Codec(), TOPIC, "nightly", RunControlAction.PAUSE)
    asyncio.run(event)


def test_a_refused_pipeline_pause_names_the_action_the_pipeline_and_the_topic() -> None:
    broker = MemoryBroker({TOPIC: 1})
    broker.refuse(TOPIC, KafkaTimeoutError("batch expired"))
    with pytest.raises(
        BrokerError,
        match=r"could not send pause of pipeline nightly to "
        r"podium\.admissions: .*batch expired",
    ) as raised:
        _pause(broker)
    assert raised.value.retryable
    assert broker.records(TOPIC) == []


def test_a_pipeline_pause_that_went_through_is_keyed_by_the_pipeline() -> None:
    broker = MemoryBroker({TOPIC: 1})
    _pause(broker)
    [(key, value)] = broker.records(TOPIC)
    assert key == b"nightly" and value
