"""The demo's transform service through Kafka, on a copy of the sample CSV."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from examples import SAMPLE_CSV
from examples.file_ingest.services import transform
from podium.contract import StepCompleted
from podium.service.testing import make_request
from tests.integration.test_service import ServiceKafka, kafka, running

__all__ = ["kafka"]  # the fixture, shared with test_service.py


async def test_transform_aggregates_and_profiles_the_sample_file(
    kafka: ServiceKafka, tmp_path: Path
) -> None:
    csv = tmp_path / "landed" / "sales.csv"
    csv.parent.mkdir()
    shutil.copy(SAMPLE_CSV, csv)
    params = {"uri": csv.as_uri(), "group_by": "region", "notify": True}
    upstream = {"validate": {"rows": 20, "columns": ["id", "region", "amount"], "bad_rows": 0}}
    aggregate = make_request(
        "aggregate", {"op": "aggregate", "sum": ["amount"]}, params=params, upstream=upstream
    )
    profile = make_request(
        "profile", {"op": "profile", "columns": ["region", "amount"]}, params=params,
        upstream=upstream, run_id=aggregate.run_id,
    )  # fmt: skip
    async with running(kafka.service(transform), kafka):
        await kafka.send(aggregate)
        await kafka.send(profile)
        events = [r.event for r in await kafka.results(2)]
    results = {e.step: e for e in events if isinstance(e, StepCompleted)}
    done = csv.parent / "out" / aggregate.run_id
    assert sorted(results) == ["aggregate", "profile"], events
    assert results["aggregate"].output() == {
        "kind": "aggregate",
        "path": str(done / "aggregate.json"),
        "group_by": "region",
        "groups": 4,
    }
    sums = json.loads((done / "aggregate.json").read_text())["sums"]
    assert sorted(sums) == ["east", "north", "south", "west"]
    total = sum(float(line.split(",")[2]) for line in csv.read_text().splitlines()[1:])
    assert round(sum(group["amount"] for group in sums.values()), 2) == round(total, 2)
    profile_stats = json.loads((done / "profile.json").read_text())
    assert profile_stats["rows"] == 20 and profile_stats["columns"]["region"]["distinct"] == 4
