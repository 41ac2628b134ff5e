"""Loading pipeline files and directories, and `podium pipelines validate`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from podium.cli import podium
from podium.pipelines import (
    OnFailure,
    PipelineValidationError,
    StepKind,
    load_pipeline_file,
    load_pipelines,
)
from podium.pipelines._expr import parse_condition
from podium.pipelines._graph import topological_order
from tests.cli import cli_runner

EXAMPLES = Path(__file__).resolve().parents[2] / "services" / "examples" / "pipelines"
EXAMPLE = EXAMPLES / "file_ingest.yaml"

GOOD = """\
name: {name}
version: {version}
steps:
  - name: a
    service: work
    timeout: 30s
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_example_pipeline_is_the_demo_shape() -> None:
    pipeline = load_pipeline_file(EXAMPLE)
    assert pipeline.key == "file-ingest@2"
    order = ("validate", "archived", "aggregate", "profile", "load", "publish", "notify")
    assert topological_order(pipeline) == order
    load = pipeline.step("load")
    assert set(load.after) == {"aggregate", "profile"}
    assert load.on_failure is OnFailure.COMPENSATE
    assert load.compensation is not None and load.compensation.input == {"op": "unload"}
    assert pipeline.step("aggregate").request_topic == "podium.steps.transform"
    trigger = pipeline.triggers[0]
    assert trigger.type == "event" and trigger.topic == "podium.files.landed"
    assert parse_condition(pipeline.step("notify").when or "").references()[1] == {"load"}
    archived, publish = pipeline.step("archived"), pipeline.step("publish")
    assert archived.kind is StepKind.EVENT and archived.event is not None
    assert archived.event.topic == "examples.files.archived"
    assert publish.kind is StepKind.APPROVAL and set(publish.after) == {"load", "archived"}


def test_durations_are_seconds() -> None:
    pipeline = load_pipeline_file(EXAMPLE)
    assert pipeline.step("load").timeout == 300.0
    assert pipeline.step("load").retry.max_backoff == 60.0


def test_load_directory_recursively_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", GOOD.format(name="b", version=1))
    write(tmp_path, "sub/a.yml", GOOD.format(name="a", version=2))
    write(tmp_path, "notes.txt", "not a pipeline")
    pipelines = load_pipelines([tmp_path])
    assert [p.key for p in pipelines] == ["b@1", "a@2"]


def test_same_name_and_version_in_two_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", GOOD.format(name="a", version=1))
    second = write(tmp_path, "two.yaml", GOOD.format(name="a", version=1))
    with pytest.raises(PipelineValidationError) as caught:
        load_pipelines([tmp_path])
    assert f"{second}: name: a@1 is also defined in {tmp_path / 'one.yaml'}" in str(caught.value)


def test_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", "name: a\nversion: 1\nsteps: []\n")
    write(tmp_path, "two.yaml", "- just\n- a list\n")
    with pytest.raises(PipelineValidationError) as caught:
        load_pipelines([tmp_path, tmp_path / "missing.yaml"])
    text = str(caught.value)
    assert "one.yaml: steps: a pipeline needs at least one step" in text
    assert "two.yaml: expected a mapping with name, version and steps" in text
    assert "missing.yaml: no such file or directory" in text


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: a\nsteps: [\n  {name: x\n")
    with pytest.raises(PipelineValidationError) as caught:
        load_pipeline_file(path)
    assert f"{path}: line " in str(caught.value)
    assert "invalid YAML" in str(caught.value)


def test_yaml_anchors_are_fine_but_tags_are_not_executed(tmp_path: Path) -> None:
    path = write(tmp_path, "tag.yaml", "name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(PipelineValidationError, match="invalid YAML"):
        load_pipeline_file(path)


def test_cli_validate_ok(tmp_path: Path) -> None:
    result = cli_runner().invoke(podium, ["pipelines", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"ok: {EXAMPLE}: file-ingest@2 (7 steps)\n"
        "  runs start at most 4 active; the others wait queued\n"
        "  trigger: FileLanded on podium.files.landed, from end: events published after "
        "the trigger is first applied\n"
        "  steps start when every dependency finished, however (trigger_rule all_done, "
        "the default)\n"
    )


def test_cli_validate_names_the_default_rule_and_each_other_one(tmp_path: Path) -> None:
    data = yaml.safe_load(GOOD.format(name="ruled", version=1))
    data["steps"].append(
        {
            "name": "report",
            "service": "report",
            "after": [data["steps"][0]["name"]],
            "trigger_rule": "all_success",
        }
    )
    path = write(tmp_path, "ruled.yaml", yaml.safe_dump(data))
    result = cli_runner().invoke(podium, ["pipelines", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "  steps start when every dependency finished, however (trigger_rule all_done, "
        "the default), except:",
        "    report: trigger_rule all_success (every dependency succeeded)",
    ]


def test_cli_validate_reports_every_problem_and_exits_1(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD.format(name="good", version=1))
    data = yaml.safe_load(GOOD.format(name="bad", version=1))
    data["steps"][0]["after"] = ["ghost"]
    data["steps"][0]["topic"] = "a b"
    bad = write(tmp_path, "bad.yaml", yaml.safe_dump(data))
    result = cli_runner().invoke(podium, ["pipelines", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"ok: {good}: good@1 (1 step)" in result.output
    assert f"error: {bad}: steps[0] (a).after: unknown step 'ghost' (known: a)" in result.output
    assert f"error: {bad}: steps[0] (a).topic: bad topic name 'a b'" in result.output
    assert "2 problems found" in result.output


def test_cli_validate_empty_directory_is_an_error(tmp_path: Path) -> None:
    result = cli_runner().invoke(podium, ["pipelines", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no *.yaml or *.yml files found" in result.output


def test_cli_validate_needs_a_path() -> None:
    result = cli_runner().invoke(podium, ["pipelines", "validate"])
    assert result.exit_code == 2


def test_cli_help_describes_validate() -> None:
    result = cli_runner().invoke(podium, ["pipelines", "validate", "--help"])
    assert result.exit_code == 0
    assert "Check pipeline files" in result.output
