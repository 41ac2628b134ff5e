"""Service definition: defaults, handler lookup, loading by import path, public API."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from podium.cli import podium as podium_cli
from podium.service import Service, ServiceLoadError, StepContext, load_service


async def _handler(input: Any, ctx: StepContext) -> None:
    return None


async def _other(input: Any, ctx: StepContext) -> None:
    return None


async def _undo(input: Any, ctx: StepContext) -> None:
    return None


def test_topics_and_group_default_from_the_name() -> None:
    service = Service("transform")
    assert service.request_topic == "podium.steps.transform"
    assert service.results_topic == "podium.step.results"
    assert service.group_id == "podium-service-transform"
    assert service.dlq_topic == "podium.steps.transform.dlq"
    assert (service.concurrency, service.grace_s) == (8, 30.0)


def test_everything_is_overridable_and_replace_keeps_handlers() -> None:
    service = Service("t", request_topic="req", results_topic="res", group_id="g")
    service.default(_handler)
    moved = service.replace(request_topic="req2", concurrency=2)
    assert (moved.request_topic, moved.results_topic, moved.group_id) == ("req2", "res", "g")
    assert moved.handler_for("any") is _handler
    renamed = Service("a").replace(name="b")
    assert (renamed.request_topic, renamed.group_id) == ("podium.steps.b", "podium-service-b")


def test_handler_lookup_prefers_the_step_then_compensation_then_default() -> None:
    service = Service("t")
    service.step("aggregate")(_handler)
    service.step()(_other)
    service.compensation("aggregate")(_undo)
    assert service.handler_for("aggregate") is _handler
    assert service.handler_for("profile") is _other
    assert service.handler_for("compensate:aggregate", "aggregate") is _undo
    assert service.handler_for("compensate:profile", "profile") is _other
    assert Service("empty").handler_for("x") is None


def test_bad_registrations_fail_at_import_time() -> None:
    service = Service("t")
    service.step("a")(_handler)
    with pytest.raises(ValueError, match="already has a handler"):
        service.step("a")(_other)
    with pytest.raises(TypeError, match="async def"):
        service.step("b")(lambda input, ctx: None)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="service name"):
        Service("no spaces")


def test_load_service_finds_the_object() -> None:
    service = load_service("examples.file_ingest.services:transform")
    assert service.name == "transform"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("examples.file_ingest.services", "expected MODULE:OBJECT"),
        ("no_such_module_xyz:svc", "no module named 'no_such_module_xyz'"),
        ("examples.file_ingest.services:nope", "has no attribute 'nope'"),
        ("examples.file_ingest.services:ALL", "is a tuple, not a podium.service.Service"),
    ],
)
def test_load_service_errors_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ServiceLoadError, match=message):
        load_service(spec)


def test_the_cli_refuses_a_bad_target_with_exit_2() -> None:
    result = CliRunner().invoke(podium_cli, ["service", "examples.file_ingest.services:nope"])
    assert result.exit_code == 2
    assert "has no attribute 'nope'" in result.output
