"""The registry's in-memory state and what the CLI prints from it; no Kafka needed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from podium.errors import ConfigError
from podium.pipelines import Pipeline, content_hash
from podium.registry import (
    ApplyResult,
    ApplyStatus,
    UnknownPipelineError,
    apply_lines,
    apply_summary,
    pipeline_summaries,
    summary_table,
)
from podium.registry._catalog import Catalog
from podium.registry._record import encode_record

WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def pipeline(name: str, version: int, steps: int = 1, timeout: float = 30) -> Pipeline:
    raw = [{"name": f"s{i}", "service": "work", "timeout": timeout} for i in range(steps)]
    return Pipeline.model_validate({"name": name, "version": version, "steps": raw})


def catalog_of(*pipelines: Pipeline) -> Catalog:
    catalog = Catalog()
    for p in pipelines:
        record = encode_record(p, WHEN)
        catalog.apply(record.key, record.value)
    return catalog


def test_get_gives_the_latest_or_the_pinned_version() -> None:
    catalog = catalog_of(pipeline("ingest", 2, steps=2), pipeline("ingest", 1), pipeline("b", 1))
    assert catalog.get("ingest").version == 2  # highest, not the last one read
    assert catalog.get("ingest", 1) == pipeline("ingest", 1)
    assert [e.key for e in catalog.list()] == ["b@1", "ingest@1", "ingest@2"]
    assert catalog.entry("ingest").content_hash == content_hash(pipeline("ingest", 2, steps=2))


def test_unknown_pipelines_name_what_is_known() -> None:
    catalog = catalog_of(pipeline("ingest", 1), pipeline("ingest", 2), pipeline("b", 1))
    with pytest.raises(UnknownPipelineError, match=r"unknown pipeline nope \(known: b, ingest\)"):
        catalog.get("nope")
    with pytest.raises(UnknownPipelineError, match=r"ingest@7 \(known: ingest@1, ingest@2\)"):
        catalog.get("ingest", 7)
    with pytest.raises(KeyError):  # usable like a mapping
        catalog.get("nope")
    assert issubclass(UnknownPipelineError, ConfigError)


def test_an_empty_registry_says_how_to_publish() -> None:
    with pytest.raises(UnknownPipelineError, match="podium pipelines apply"):
        Catalog().get("ingest")


def test_bad_records_are_skipped_counted_and_logged_with_their_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = catalog_of(pipeline("ingest", 1))
    with caplog.at_level(logging.WARNING, logger="podium.registry"):
        catalog.apply(b"junk@1", b"not json")
        catalog.apply(None, b"{}")
    assert catalog.stats.skipped == 2
    assert catalog.stats.records == 1
    assert "registry record junk@1 skipped" in caplog.text
    assert [e.key for e in catalog.list()] == ["ingest@1"]


def test_a_tombstone_removes_a_version() -> None:
    catalog = catalog_of(pipeline("ingest", 1), pipeline("ingest", 2))
    catalog.apply(b"ingest@2", None)
    assert catalog.get("ingest").version == 1


def test_a_conflicting_republish_wins_like_compaction_but_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="podium.registry"):
        catalog = catalog_of(pipeline("ingest", 1, timeout=30), pipeline("ingest", 1, timeout=31))
    assert catalog.get("ingest").steps[0].timeout == 31
    assert catalog.stats.conflicts == 1
    assert "concurrent applies" in caplog.text


def test_apply_lines_and_summary() -> None:
    digest = "sha256:" + "ab" * 32
    results = [
        ApplyResult("a@1", ApplyStatus.PUBLISHED, digest, "a.yaml"),
        ApplyResult("b@1", ApplyStatus.UNCHANGED, digest),
    ]
    assert apply_lines(results) == [
        "published: a@1 sha256:abababababab (a.yaml)",
        "unchanged: b@1 sha256:abababababab",
    ]
    assert apply_summary(results) == "1 published, 1 unchanged"
    refused = [ApplyResult("c@1", ApplyStatus.REFUSED, digest, reason="c@1 is ... bump it")]
    assert apply_lines(refused) == ["refused: c@1 is ... bump it"]
    assert apply_summary(refused).startswith("nothing published: 1 refused")


def test_list_summarises_each_name_by_its_latest_version() -> None:
    catalog = catalog_of(pipeline("ingest", 1), pipeline("ingest", 2, steps=3), pipeline("b", 4))
    summaries = pipeline_summaries(catalog.list())
    assert [(s["name"], s["versions"], s["latest"], s["steps"]) for s in summaries] == [
        ("b", [4], 4, 1),
        ("ingest", [1, 2], 2, 3),
    ]
    table = summary_table(summaries)
    assert table[0].split() == ["NAME", "VERSIONS", "LATEST", "STEPS", "HASH", "PUBLISHED"]
    assert table[2].split()[:4] == ["ingest", "1,2", "2", "3"]
    assert table[2].endswith("2025-03-01 12:30:00")
