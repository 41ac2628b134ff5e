"""The demo's pure decisions: paths, children, environments, the landed event, the port."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import examples
from podium.demo._plan import (
    OUT_ENV,
    SERVICES,
    DemoPaths,
    child_env,
    child_specs,
    choose_port,
    expected_run,
    file_landed,
    landing_stamp,
    prometheus_config,
    service_group,
    step_service,
)
from podium.errors import ConfigError
from podium.pipelines import Pipeline
from podium.registry import load_pipeline_files
from podium.triggers._ids import event_identity, event_run_id

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOPIC = "podium.files.landed"
APP_IDS = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    pipelines, _ = load_pipeline_files([examples.PIPELINES_DIR])
    return next(p for p in pipelines if p.name == "file-ingest")


def test_everything_the_demo_writes_is_under_podium_home(tmp_path: Path) -> None:
    paths = DemoPaths.under(tmp_path)
    landed = paths.landed_file("20250301-120000-000000")
    assert landed == tmp_path / "demo" / "landing" / "20250301-120000-000000" / "sales.csv"
    assert paths.log("api") == tmp_path / "demo" / "logs" / "api.log"
    assert paths.out == tmp_path / "demo" / "out"


def test_children_are_the_coordinator_the_api_and_the_four_services(tmp_path: Path) -> None:
    specs = child_specs("podium-coordinator", 8123, DemoPaths.under(tmp_path))
    assert [s.name for s in specs] == ["coordinator", "api", *SERVICES, "archiver"]
    assert specs[-1].command("python") == ["python", "-m", "examples.archiver"]
    assert specs[0].command("/py") == ["/py", "-m", "podium", "coordinator"]
    assert specs[1].args == ("api", "--host", "127.0.0.1", "--port", "8123")
    validate = specs[2].command("/py")
    assert validate[3:5] == ["service", "examples.file_ingest.services:validate"]
    assert validate[5:] == ["--group", "podium-coordinator-service-validate"]
    assert len({s.log for s in specs}) == len(specs)


@given(APP_IDS, APP_IDS)
def test_a_fresh_coordinator_id_gives_every_service_a_fresh_group(first: str, second: str) -> None:
    """So a demo on a shared broker never takes over another demo's consumer groups."""
    groups = {service_group(app_id, s) for app_id in (first, second) for s in SERVICES}
    expected = len(SERVICES) * (1 if first == second else 2)
    assert len(groups) == expected
    assert all(g != first and g != f"{first}-triggers" for g in groups)


def test_children_get_the_demos_cluster_home_and_output_folder(tmp_path: Path) -> None:
    base = {"PATH": "/bin", "PYTHONPATH": "/elsewhere", "PODIUM_HOME": "/old"}
    env = child_env(
        base, home=tmp_path, bootstrap="127.0.0.1:9", out=tmp_path / "out", source_dir=Path("/src")
    )
    assert env["PODIUM_HOME"] == str(tmp_path)
    assert env["PODIUM_KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:9"
    assert env[OUT_ENV] == str(tmp_path / "out")
    assert env["PYTHONPATH"] == os.pathsep.join(["/src", "/elsewhere"])
    assert env["PATH"] == "/bin" and base["PODIUM_HOME"] == "/old"  # the caller's is untouched


def test_landing_folders_sort_by_time_and_differ_by_the_microsecond() -> None:
    stamps = [landing_stamp(T0 + timedelta(microseconds=n)) for n in (0, 1, 1_000_000)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_the_landed_event_carries_uri_size_and_content_checksum(tmp_path: Path) -> None:
    content = examples.SAMPLE_CSV.read_bytes()
    event = file_landed(tmp_path / "sales.csv", content, T0)
    assert event.uri == (tmp_path / "sales.csv").as_uri()
    assert event.size_bytes == len(content)
    assert event.checksum == "sha256:" + hashlib.sha256(content).hexdigest()


def test_the_run_id_is_the_one_the_coordinators_trigger_derives(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    event = file_landed(tmp_path / "sales.csv", b"id,region,amount\n", T0)
    run = expected_run(pipeline, event, TOPIC, T0)
    identity = event_identity(event.model_dump(mode="json"), TOPIC, 7, 42)
    assert run.run_id == event_run_id("file-ingest", pipeline.version, identity)
    assert run.params()["uri"] == event.uri and run.params()["size_bytes"] == event.size_bytes
    again = expected_run(
        pipeline, file_landed(tmp_path / "sales.csv", b"id,region,amount\n", T0), TOPIC, T0
    )
    elsewhere = expected_run(pipeline, file_landed(tmp_path / "b.csv", b"x", T0), TOPIC, T0)
    assert again.run_id == run.run_id and elsewhere.run_id != run.run_id


def test_an_event_the_trigger_does_not_take_is_refused_with_the_reason(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"no event trigger.*sales\.txt"):
        expected_run(pipeline, file_landed(tmp_path / "sales.txt", b"x", T0), TOPIC, T0)
    with pytest.raises(ConfigError, match="PODIUM_TOPICS__FILES_LANDED"):
        expected_run(pipeline, file_landed(tmp_path / "a.csv", b"x", T0), "other.topic", T0)


def test_steps_map_to_the_services_whose_logs_explain_them(pipeline: Pipeline) -> None:
    assert step_service(pipeline, "aggregate") == "transform"
    assert step_service(pipeline, "compensate:load") == "load"
    assert step_service(pipeline, "nonexistent") is None


def test_the_api_port_is_the_requested_one_else_8080_else_any_free() -> None:
    busy = {8080, 9000}

    def is_free(port: int) -> bool:
        return port not in busy

    def any_port() -> int:
        return 40123

    assert choose_port(9001, 8080, is_free=is_free, free_port=any_port) == 9001
    assert choose_port(None, 8081, is_free=is_free, free_port=any_port) == 8081
    assert choose_port(None, 8080, is_free=is_free, free_port=any_port) == 40123
    with pytest.raises(ConfigError, match=r"port 9000 is busy.*--api-port"):
        choose_port(9000, 8080, is_free=is_free, free_port=any_port)


def test_each_child_but_the_api_gets_its_metrics_port(tmp_path: Path) -> None:
    ports = {"coordinator": 9101, **{s: 9102 + i for i, s in enumerate(SERVICES)}}
    specs = {s.name: s.args for s in child_specs("app", 8123, DemoPaths.under(tmp_path), ports)}
    assert specs["coordinator"] == ("coordinator", "--metrics-port", "9101")
    assert specs[SERVICES[0]][-2:] == ("--metrics-port", "9102")
    assert "--metrics-port" not in specs["api"]  # the API serves /metrics on its own port


def test_the_prometheus_config_scrapes_every_child() -> None:
    config = json.loads(prometheus_config({"coordinator": 9101, "api": 8080}))
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {"podium-coordinator": ["127.0.0.1:9101"], "podium-api": ["127.0.0.1:8080"]}
