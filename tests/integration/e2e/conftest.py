"""Fixtures for end-to-end tests: a shared stack (coordinator + scripted worker) per module."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from tests.integration.e2e.stack import Stack


def make_stack(bootstrap: str, home: Path, services: Iterable[str] = ("worker",)) -> Stack:
    """A stack's topics, with a request topic for each of ``services``."""
    stack = Stack(bootstrap=bootstrap, home=home)
    asyncio.run(stack.create_topics(services=services))
    return stack


@contextlib.contextmanager
def serving(stack: Stack) -> Iterator[Stack]:
    """``stack`` with its coordinator and scripted worker running; all stopped after."""
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    try:
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A running coordinator and scripted worker on their own topics, shared by a module."""
    with serving(make_stack(kafka_bootstrap, tmp_path_factory.mktemp("stack"))) as stack:
        yield stack


@pytest.fixture
def own_stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    """A stack for one test (which starts and kills its own processes)."""
    stack = make_stack(kafka_bootstrap, tmp_path)
    try:
        yield stack
    finally:
        stack.stop_all()
