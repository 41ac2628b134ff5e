"""A benchmark run's names and its children's environment."""

from __future__ import annotations

from pathlib import Path

from podium.settings import PodiumSettings
from podium_bench import Names, child_env


def test_every_topic_and_group_starts_with_the_run_prefix() -> None:
    names = Names.new()
    specs = names.podium_specs(6, ["noop-a", "sleep"])
    assert all(spec.name.startswith(names.prefix) for spec in specs)
    assert names.app_id.startswith(names.prefix) and Names.new() != names
    assert all(s.configs["message.timestamp.type"] == "LogAppendTime" for s in specs)
    keyed = [s for s in specs if s.name != names.topics.pipelines]
    assert {s.partitions for s in keyed} == {6}


def test_children_read_the_run_topics_through_settings(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    names = Names("podium-bench-x")
    base = {"PATH": "/bin", "PODIUM_KAFKA__SECURITY_PROTOCOL": "SSL"}
    env = child_env(base, names, bootstrap="h:1", home=tmp_path, partitions=3, sleep_ms=10)
    assert env["PATH"] == "/bin" and env["PODIUM_KAFKA__SECURITY_PROTOCOL"] == "SSL"
    for key in [k for k in env if k.startswith("PODIUM_") and k not in base]:
        monkeypatch.setenv(key, env[key])
    settings = PodiumSettings()
    assert settings.topics == names.topics
    assert settings.coordinator.app_id == names.app_id
    assert settings.coordinator.partitions == 3
    assert settings.bootstrap_servers() == "h:1" and settings.home == tmp_path
