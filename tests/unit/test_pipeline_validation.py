"""Every kind of bad pipeline definition is rejected with file, step and field named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.errors import ConfigError
from podium.pipelines import PipelineValidationError, check_file, load_pipeline_file

BASE: dict[str, Any] = {
    "name": "etl",
    "version": 1,
    "params": {
        "threshold": {"type": "number", "default": 0.5},
        "notify": {"type": "boolean", "default": True},
    },
    "steps": [
        {"name": "validate", "service": "validate"},
        {"name": "transform", "service": "transform", "after": ["validate"]},
        {"name": "load", "service": "load", "after": ["transform"]},
        {"name": "notify", "service": "notify", "after": ["load"], "when": "params.notify"},
    ],
}


def problems_for(tmp_path: Path, data: Any) -> list[str]:
    """The problem lines ``podium pipelines validate`` would print for ``data``."""
    path = tmp_path / "etl.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _, problems = check_file(path)
    return [str(problem) for problem in problems]


def changed(**edits: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(edits)
    return data


def with_step(index: int, **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["steps"][index].update(fields)
    return data


def one_problem(tmp_path: Path, data: Any) -> str:
    problems = problems_for(tmp_path, data)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_base_definition_is_valid(tmp_path: Path) -> None:
    assert problems_for(tmp_path, BASE) == []


def test_unknown_dependency_names_file_step_field_and_known_steps(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(2, after=["transfrom"]))
    assert problem == (
        f"{tmp_path / 'etl.yaml'}: steps[2] (load).after: unknown step 'transfrom' "
        "(known: validate, transform, load, notify)"
    )


def test_duplicate_step_names_point_at_both(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, name="load", after=["transform"], when=None))
    assert "steps[3] (load).name: duplicate step name 'load' (first at steps[2])" in problem


def test_cycle_is_printed_in_run_order(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(0, after=["load"]))
    assert "steps[0] (validate).after: cycle: validate -> transform -> load -> validate" in problem


def test_step_after_itself_is_a_cycle(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(0, after=["validate"]))
    assert "steps[0] (validate).after: cycle: validate -> validate" in problem


def test_condition_that_does_not_parse_says_where(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="params.notify =="))
    assert "steps[3] (notify).when: cannot parse 'params.notify ==': at column 17" in problem
    assert "expected a value" in problem


def test_condition_naming_an_unknown_param(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="params.notfy == true"))
    assert "steps[3] (notify).when: unknown param 'notfy'" in problem
    assert "(declared: threshold, notify)" in problem


def test_condition_naming_an_unknown_step(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="steps.lod.output.rows > 0"))
    assert "steps[3] (notify).when: unknown step 'lod'" in problem


def test_condition_reading_a_step_that_is_not_an_ancestor(tmp_path: Path) -> None:
    data = with_step(1, when="steps.notify.status == 'succeeded'")
    problem = one_problem(tmp_path, data)
    assert "steps[1] (transform).when: steps.notify is not known yet" in problem
    assert "add 'notify' to 'after'" in problem


def test_condition_may_read_a_transitive_ancestor(tmp_path: Path) -> None:
    data = with_step(3, when="steps.validate.output.ok and steps.load.status == 'succeeded'")
    assert problems_for(tmp_path, data) == []


def test_condition_comparing_status_with_upper_case(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="steps.load.status == 'SUCCEEDED'"))
    assert "write 'succeeded', not 'SUCCEEDED'" in problem


def test_condition_comparing_status_with_an_unknown_status(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="steps.load.status in ['done']"))
    assert "no step has status 'done'" in problem


@pytest.mark.parametrize("field", ["topic"])
def test_bad_step_topic(tmp_path: Path, field: str) -> None:
    problem = one_problem(tmp_path, with_step(2, **{field: "load data"}))
    assert "steps[2] (load).topic: bad topic name 'load data'" in problem


def test_bad_compensation_topic(tmp_path: Path) -> None:
    data = with_step(2, compensation={"service": "load", "topic": "x" * 250})
    assert "steps[2] (load).compensation.topic: bad topic name" in one_problem(tmp_path, data)


def test_bad_duration_names_the_field(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(2, timeout="5 minutes"))
    assert "steps[2] (load).timeout: bad duration '5 minutes'" in problem


def test_zero_timeout_is_refused(tmp_path: Path) -> None:
    assert "steps[2] (load).timeout: must be longer than 0s" in one_problem(
        tmp_path, with_step(2, timeout="0s")
    )


def test_backoff_longer_than_its_cap(tmp_path: Path) -> None:
    data = with_step(2, retry={"initial_backoff": "1m", "max_backoff": "10s"})
    problem = one_problem(tmp_path, data)
    assert "steps[2] (load).retry.initial_backoff: 60s is longer than max_backoff (10s)" in problem


def test_retry_out_of_range_names_nested_field(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(2, retry={"factor": 0.5}))
    assert "steps[2] (load).retry.factor: Input should be greater than or equal to 1" in problem


def test_param_default_of_the_wrong_type(tmp_path: Path) -> None:
    data = changed(params={**BASE["params"], "threshold": {"type": "number", "default": "high"}})
    assert 'params.threshold.default: expected number, got string "high"' in one_problem(
        tmp_path, data
    )


def test_boolean_default_is_not_an_integer(tmp_path: Path) -> None:
    data = changed(params={**BASE["params"], "limit": {"type": "integer", "default": True}})
    assert "params.limit.default: expected integer, got boolean true" in one_problem(tmp_path, data)


def test_required_param_with_a_default(tmp_path: Path) -> None:
    data = changed(params={**BASE["params"], "who": {"required": True, "default": "me"}})
    assert "params.who.default: a required param takes no default" in one_problem(tmp_path, data)


def test_unknown_param_type(tmp_path: Path) -> None:
    data = changed(params={**BASE["params"], "x": {"type": "float"}})
    assert "params.x.type: Input should be 'string'" in one_problem(tmp_path, data)


def test_event_trigger_mapping_unknown_param_and_bad_glob(tmp_path: Path) -> None:
    trigger: dict[str, Any] = {"type": "event", "topic": "podium.files.landed"}
    trigger |= {"match": {"uri": "[abc"}, "params": {"path": "uri"}}
    problems = problems_for(tmp_path, changed(triggers=[trigger]))
    assert any("triggers[0].match.uri: glob '[abc' has a '['" in p for p in problems)
    assert any("triggers[0].params.path: unknown param 'path'" in p for p in problems)


@pytest.mark.parametrize("source", ["", "header:", "  "])
def test_event_trigger_priority_from_names_a_field(tmp_path: Path, source: str) -> None:
    trigger = {"type": "event", "topic": "podium.files.landed", "priority_from": source}
    problem = one_problem(tmp_path, changed(triggers=[trigger]))
    assert "triggers[0].priority_from: name the event field to read the priority from" in problem


def test_event_trigger_that_never_supplies_a_required_param(tmp_path: Path) -> None:
    params = {"uri": {"type": "string", "required": True}}
    data = changed(params=params, triggers=[{"type": "event", "topic": "files"}])
    data["steps"][3]["when"] = None
    problem = one_problem(tmp_path, data)
    assert "triggers[0].params: required param 'uri' is not supplied" in problem


def test_bad_cron_schedule(tmp_path: Path) -> None:
    data = changed(triggers=[{"type": "cron", "schedule": "61 * * * *"}])
    assert "triggers[0].schedule: bad cron schedule '61 * * * *'" in one_problem(tmp_path, data)


@pytest.mark.parametrize("schedule", ["*/15 * * * *", "0 3 * * mon-fri", "@daily"])
def test_good_cron_schedules(tmp_path: Path, schedule: str) -> None:
    assert problems_for(tmp_path, changed(triggers=[{"type": "cron", "schedule": schedule}])) == []


def test_cron_param_of_the_wrong_type(tmp_path: Path) -> None:
    trigger = {"type": "cron", "schedule": "@hourly", "params": {"threshold": "x"}}
    problem = one_problem(tmp_path, changed(triggers=[trigger]))
    assert 'triggers[0].params.threshold: expected number, got string "x"' in problem


def test_bad_trigger_topic(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, changed(triggers=[{"type": "event", "topic": "a b"}]))
    assert "triggers[0].topic: bad topic name 'a b'" in problem


def test_trigger_without_type(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, changed(triggers=[{"schedule": "@daily"}]))
    assert "triggers[0]: missing 'type': write 'type: event' or 'type: cron'" in problem


def test_trigger_field_errors_skip_the_union_tag(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, changed(triggers=[{"type": "event", "topc": "x"}]))
    assert any(
        "triggers[0].topc: unknown field 'topc'; did you mean 'topic'?" in p for p in problems
    )
    assert any(p.endswith("triggers[0].topic: required field is missing") for p in problems)


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(1, retires=3))
    assert "steps[1] (transform).retires: unknown field 'retires'; did you mean 'retry'?" in problem


def test_bad_names_are_explained(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(0, service="Validate Service"))
    assert "steps[0] (validate).service: 'Validate Service' is not a valid name" in problem
    assert "lower case" in problem


def test_missing_fields_and_empty_steps(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, {"name": "etl", "steps": []})
    assert any(p.endswith("version: required field is missing") for p in problems)
    assert any(p.endswith("steps: a pipeline needs at least one step") for p in problems)


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    data = with_step(2, after=["nope"], topic="a b", when="params.zzz")
    assert len(problems_for(tmp_path, data)) == 3


def test_load_raises_a_config_error_listing_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text(yaml.safe_dump(with_step(2, after=["nope"], topic="a b")), encoding="utf-8")
    with pytest.raises(PipelineValidationError) as caught:
        load_pipeline_file(path)
    assert isinstance(caught.value, ConfigError)
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("2 problems in pipeline definitions:")
    assert "steps[2] (load).after: unknown step 'nope'" in str(caught.value)


def test_no_raw_pydantic_dump_reaches_the_user(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, {"name": 3, "version": "x", "steps": [{"name": "a"}]})
    text = "\n".join(problems)
    assert "errors.pydantic.dev" not in text
    assert "validation error" not in text.lower()
    assert "steps[0] (a).service: required field is missing" in text


# --- types in conditions against the declared params ----------------------------------------

TYPED = {
    "count": {"type": "integer", "default": 1},
    "notify": {"type": "boolean", "default": True},
    "name": {"type": "string", "default": "x"},
    "tags": {"type": "array", "default": []},
}


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            'params.count > "x"',
            'params.count > "x" is always false: a number and a string do not order '
            "(params.count is declared integer): compare it with an integer such as 10, "
            "or change its type",
        ),
        (
            "params.notify == 1",
            "params.notify == 1 is always false: a boolean never equals a number "
            "(params.notify is declared boolean): compare it with true or false, "
            "or change its type",
        ),
        ("params.notify != 'yes'", "is always true: a boolean never equals a string"),
        ("params.notify >= 1", "is always false: >= orders two numbers or two strings"),
        ("params.count == params.name", "params.name is declared string"),
        ("'a' in params.count", "is never true: a number contains nothing"),
        ("params.count in params.name", "a string holds only strings"),
        ("params.count in ['1', 2]", "has items (string) a number never equals"),
        ("params.name.first == 'a'", "reads into params.name, a string param"),
        ("default(params.count, 0) > 'a'", "a number and a string do not order"),
    ],
)
def test_a_condition_comparing_a_param_with_the_wrong_type_is_a_problem(
    tmp_path: Path, when: str, message: str
) -> None:
    data = with_step(3, when=when)
    data["params"] = TYPED
    problem = one_problem(tmp_path, data)
    assert problem.startswith(f"{tmp_path / 'etl.yaml'}: steps[3] (notify).when: ")
    assert message in problem


@pytest.mark.parametrize(
    "when",
    [
        "params.count > 0 and params.count <= 10.5",
        "params.notify == true and params.name == null",
        "params.name >= 'a' and 'x' in params.name and params.count in [1, 2]",
        "'csv' in params.tags and params.tags == ['a'] and steps.load.output.x == 'y'",
        "default(params.count, 0) > 2 and steps.load.status in ['succeeded', 'skipped']",
    ],
)
def test_well_typed_conditions_are_fine(tmp_path: Path, when: str) -> None:
    data = with_step(3, when=when)
    data["params"] = TYPED
    assert problems_for(tmp_path, data) == []


def test_an_undeclared_param_says_to_declare_it(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(3, when="params.limit > 3"))
    assert problem.endswith(
        "unknown param 'limit' in params.limit (declared: threshold, notify): "
        "declare it under params, or fix the name"
    )


def test_a_trigger_rule_on_a_step_without_dependencies_is_a_problem(tmp_path: Path) -> None:
    problem = one_problem(tmp_path, with_step(0, trigger_rule="all_success"))
    assert "steps[0] (validate).trigger_rule: all_success judges the step's dependencies" in (
        problem
    )
    assert problems_for(tmp_path, with_step(1, trigger_rule="one_failed")) == []
