"""Loading topics/*.yaml: every invalid spec is refused before any cluster is touched,
with the file and field named."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from podium.errors import TopicSpecError
from podium.topics import load_topic_specs

REPO_TOPICS = Path(__file__).resolve().parents[2] / "topics"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(*paths: Path, replication_factor: int | None = None) -> str:
    with pytest.raises(TopicSpecError) as caught:
        load_topic_specs(list(paths), replication_factor=replication_factor)
    return str(caught.value)


def test_a_valid_file_resolves_defaults_and_config_values_as_kafka_strings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        """
        defaults:
          replication_factor: 1
          configs: {min.insync.replicas: 1, cleanup.policy: delete}
        topics:
          - name: orders
            partitions: 3
            configs: {retention.ms: 1000, cleanup.policy: compact, preallocate: true}
        """,
    )
    specs = load_topic_specs([path])
    (spec,) = specs.topics
    assert (spec.name, spec.partitions, spec.replication_factor) == ("orders", 3, 1)
    assert dict(spec.configs) == {
        "min.insync.replicas": "1",
        "cleanup.policy": "compact",
        "retention.ms": "1000",
        "preallocate": "true",
    }


def test_replication_override_replaces_every_topics_factor(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "topics: [{name: a, partitions: 1, replication_factor: 1}]")
    (spec,) = load_topic_specs([path], replication_factor=3).topics
    assert spec.replication_factor == 3
    assert spec.where("replication_factor") == "--replication-factor 3"


def test_partitions_below_one_names_file_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        """
        topics:
          - {name: a, partitions: 1, replication_factor: 1}
          - {name: b, partitions: 1, replication_factor: 1}
          - {name: c, partitions: 0, replication_factor: 1}
        """,
    )
    assert error_of(path) == f"{path}: topics[2].partitions: must be >= 1 (got 0)"


def test_replication_factor_below_one_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "topics: [{name: a, partitions: 1, replication_factor: 0}]")
    assert error_of(path) == f"{path}: topics[0].replication_factor: must be >= 1 (got 0)"


def test_unknown_keys_are_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        "topics: [{name: a, partitons: 3, partitions: 1, replication_factor: 1}]",
    )
    message = error_of(path)
    assert message.startswith(f"{path}: topics[0].partitons: unknown key; allowed here: name,")
    assert "partitions" in message


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "topic: []")
    assert error_of(path).startswith(f"{path}: topic: unknown key; allowed here: defaults, topics")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("has space", "may only contain letters, digits, '.', '_' and '-'"),
        ("ünicode", "may only contain"),
        (".", "is not a legal topic name"),
        ("..", "is not a legal topic name"),
        ("a" * 250, "is 250 characters long; Kafka allows at most 249"),
    ],
)
def test_illegal_topic_names_are_refused(tmp_path: Path, name: str, problem: str) -> None:
    path = write(
        tmp_path, "x.yaml", f"topics: [{{name: '{name}', partitions: 1, replication_factor: 1}}]"
    )
    message = error_of(path)
    assert message.startswith(f"{path}: topics[0].name: ")
    assert problem in message


def test_a_249_character_name_is_legal(tmp_path: Path) -> None:
    name = "a" * 249
    path = write(
        tmp_path, "x.yaml", f"topics: [{{name: {name}, partitions: 1, replication_factor: 1}}]"
    )
    assert load_topic_specs([path]).names() == [name]


def test_missing_partitions_without_default_says_where_to_set_it(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "topics: [{name: a, replication_factor: 1}]")
    assert error_of(path) == (
        f"{path}: topics[0].partitions: is required (set it on the topic or in defaults:)"
    )


def test_duplicate_names_across_files_name_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "topics: [{name: dup, partitions: 1, replication_factor: 1}]")
    second = write(
        tmp_path,
        "b.yaml",
        "topics: [{name: x, partitions: 1, replication_factor: 1}, "
        "{name: dup, partitions: 2, replication_factor: 1}]",
    )
    assert error_of(tmp_path) == (
        f"{second}: topics[1].name: dup is already declared at {first}: topics[0].name"
    )


def test_names_that_collide_in_kafka_metrics_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        "topics: [{name: a.b, partitions: 1, replication_factor: 1}, "
        "{name: a_b, partitions: 1, replication_factor: 1}]",
    )
    assert "topics[1].name: a_b collides with a.b" in error_of(path)


def test_copartitioned_group_naming_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        """
        topics: [{name: a, partitions: 2, replication_factor: 1}]
        copartitioned:
          runs: [a, nope]
        """,
    )
    assert error_of(path).startswith(f"{path}: copartitioned.runs[1]: unknown topic 'nope'")


def test_copartitioned_group_with_different_partition_counts_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "topics: [{name: a, partitions: 6, replication_factor: 1}]")
    group_file = write(
        tmp_path,
        "b.yaml",
        """
        topics: [{name: b, partitions: 3, replication_factor: 1}]
        copartitioned: {runs: [a, b]}
        """,
    )
    assert error_of(tmp_path) == (
        f"{group_file}: copartitioned.runs: co-partitioned topics need the same partition "
        "count, but a has 6, b has 3"
    )


@pytest.mark.parametrize(
    ("configs", "field", "problem"),
    [
        ("{cleanup.policy: compacted}", "[cleanup.policy]", "must be one of delete, compact"),
        ("{retention.ms: 7d}", "[retention.ms]", "must be a whole number (got '7d')"),
        ("{retention.ms: -5}", "[retention.ms]", "must be >= -1 (got '-5')"),
        ("{min.cleanable.dirty.ratio: 2}", "[min.cleanable.dirty.ratio]", "between 0 and 1"),
        ("{preallocate: maybe}", "[preallocate]", "must be one of true, false"),
        ("{retention.msec: 1}", "[retention.msec]", "unknown topic config 'retention.msec'"),
        ("{retention.ms: null}", "[retention.ms]", "must be a string, number or boolean"),
    ],
)
def test_invalid_config_values_are_refused(
    tmp_path: Path, configs: str, field: str, problem: str
) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        f"topics: [{{name: a, partitions: 1, replication_factor: 1, configs: {configs}}}]",
    )
    message = error_of(path)
    assert message.startswith(f"{path}: topics[0].configs{field}: ")
    assert problem in message


def test_a_bad_default_config_names_the_defaults_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        """
        defaults: {configs: {cleanup.policy: nope}}
        topics: [{name: a, partitions: 1, replication_factor: 1}]
        """,
    )
    assert error_of(path).startswith(f"{path}: defaults.configs[cleanup.policy]: must be one of")


def test_min_insync_replicas_above_replication_factor_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        "topics: [{name: a, partitions: 1, replication_factor: 1, "
        "configs: {min.insync.replicas: 2}}]",
    )
    assert "topics[0].configs[min.insync.replicas]: 2 is more than the replication factor 1" in (
        error_of(path)
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        "topics: [{name: a, partitions: 0, replication_factor: 1}, "
        "{name: b, partitions: 1, replication_factor: 0}]",
    )
    lines = error_of(path).split("\nerror: ")
    assert [line.split(": ")[1] for line in lines] == [
        "topics[0].partitions",
        "topics[1].replication_factor",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("topics: [", "invalid YAML"),
        ("", "is empty"),
        ("- a\n- b\n", "(top level): must be a valid dictionary"),
        (
            "topics:\n  - {name: a, partitions: 1, partitions: 2, replication_factor: 1}\n",
            "written twice",
        ),
        ("topics: [{name: a, partitions: '3', replication_factor: 1}]", "must be a valid integer"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "x.yaml", text)
    message = error_of(path)
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_missing_paths_and_empty_folders_are_refused(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such file or folder"
    assert error_of(tmp_path) == f"{tmp_path}: no *.yaml topic files in this folder"


def test_replication_override_below_one_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "topics: [{name: a, partitions: 1, replication_factor: 1}]")
    assert error_of(path, replication_factor=0) == "--replication-factor: must be >= 1 (got 0)"


def test_the_repos_own_topic_files_load() -> None:
    specs = load_topic_specs([REPO_TOPICS])
    names = set(specs.names())
    assert {
        "podium.runs",
        "podium.step.results",
        "podium.run.events",
        "podium.pipelines",
        "podium.files.landed",
        "podium-coordinator-runs-changelog",
        "podium.steps.validate",
        "podium.steps.transform",
        "podium.steps.load",
        "podium.steps.notify",
    } <= names


def test_the_run_keyed_topics_are_copartitioned_with_six_partitions() -> None:
    specs = load_topic_specs([REPO_TOPICS])
    by_name = specs.by_name()
    group = specs.copartitioned["runs"]
    assert set(group) == {
        "podium.runs",
        "podium.step.results",
        "podium.run.events",
        "podium.coordinator.timers",
        "podium-coordinator-runs-changelog",
    }
    assert {by_name[name].partitions for name in group} == {6}


def test_every_consumed_repo_topic_has_a_long_lived_dlq_twin() -> None:
    by_name = load_topic_specs([REPO_TOPICS]).by_name()
    consumed = [n for n in by_name if not n.endswith((".dlq", "-changelog"))]
    for name in consumed:
        dlq = by_name.get(f"{name}.dlq")
        assert dlq is not None, f"{name} has no {name}.dlq"
        assert int(dlq.configs["retention.ms"]) >= 30 * 24 * 3600 * 1000


def test_the_repos_compacted_topics_are_compacted() -> None:
    by_name = load_topic_specs([REPO_TOPICS]).by_name()
    for name in ("podium.pipelines", "podium-coordinator-runs-changelog"):
        assert by_name[name].configs["cleanup.policy"] == "compact"


def test_no_topic_is_declared_that_nothing_reads_or_writes() -> None:
    """``podium.run.status`` was declared and never used: run views fold ``podium.run.events``."""
    names = set(load_topic_specs([REPO_TOPICS]).names())
    assert not names & {"podium.run.status", "podium.run.status.dlq"}
