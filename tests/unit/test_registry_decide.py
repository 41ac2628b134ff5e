"""Pure decisions of `podium pipelines apply`: publish, no-op, refuse; all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.errors import ConfigError
from podium.pipelines import Pipeline, PipelineValidationError, content_hash
from podium.registry import ApplyStatus, RegisteredPipeline
from podium.registry._apply import checked_batch
from podium.registry._decide import Publish, Refused, Unchanged, plan_apply, publish_decision

WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def pipeline(name: str = "ingest", version: int = 1, **step: Any) -> Pipeline:
    steps = [{"name": "a", "service": "work", **step}]
    return Pipeline.model_validate({"name": name, "version": version, "steps": steps})


def published(p: Pipeline) -> RegisteredPipeline:
    return RegisteredPipeline(p, content_hash(p), WHEN)


def test_a_new_version_is_published() -> None:
    assert publish_decision(None, pipeline()) == Publish()


def test_the_same_content_written_differently_is_unchanged() -> None:
    # "30s" and 30, or a default spelled out, are the same definition
    existing = published(pipeline(timeout="30s"))
    assert publish_decision(existing, pipeline(timeout=30, on_failure="fail")) == Unchanged()


def test_changed_content_is_refused_naming_the_file_and_the_fix() -> None:
    existing = published(pipeline(timeout=30))
    decision = publish_decision(existing, pipeline(timeout=31), source="pipelines/ingest.yaml")
    assert isinstance(decision, Refused)
    assert "ingest@1 is already published with different content" in decision.reason
    assert "bump `version` in pipelines/ingest.yaml" in decision.reason
    assert "2025-03-01 12:30 UTC" in decision.reason


@given(st.integers(1, 600), st.integers(1, 600))
def test_refused_exactly_when_the_content_differs(old: int, new: int) -> None:
    decision = publish_decision(published(pipeline(timeout=old)), pipeline(timeout=new))
    assert isinstance(decision, Unchanged if old == new else Refused)


def test_plan_reports_each_pipeline() -> None:
    same, new = pipeline("same"), pipeline("new")
    results = plan_apply({"same@1": published(same)}, [same, new], {"new@1": "new.yaml"})
    assert [(r.key, r.status) for r in results] == [
        ("same@1", ApplyStatus.UNCHANGED),
        ("new@1", ApplyStatus.PUBLISHED),
    ]
    assert results[1].source == "new.yaml"
    assert results[1].content_hash == content_hash(new)


def test_one_refusal_holds_back_the_whole_apply() -> None:
    changed, new = pipeline("changed", timeout=31), pipeline("new")
    existing = {"changed@1": published(pipeline("changed", timeout=30))}
    results = plan_apply(existing, [changed, new])
    assert [r.status for r in results] == [ApplyStatus.REFUSED, ApplyStatus.HELD]
    assert "another pipeline in this apply was refused" in results[1].reason


def test_an_invalid_pipeline_stops_the_batch_naming_its_file() -> None:
    bad = pipeline(after=["missing"])
    with pytest.raises(PipelineValidationError) as caught:
        checked_batch([pipeline("fine"), bad], {"ingest@1": "ingest.yaml"})
    assert isinstance(caught.value, ConfigError)
    assert "ingest.yaml" in str(caught.value) and "missing" in str(caught.value)


def test_the_same_version_twice_in_one_batch() -> None:
    assert checked_batch([pipeline(), pipeline()], {}) == [pipeline()]  # exact repeat: once
    with pytest.raises(PipelineValidationError, match="given twice with different content"):
        checked_batch([pipeline(timeout=1), pipeline(timeout=2)], {})
