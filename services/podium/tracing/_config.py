"""The tracing configuration, read from the standard ``OTEL_*`` variables. Pure.

Only what Podium acts on is read: the exporter (``OTEL_TRACES_EXPORTER``), where OTLP goes
(``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT`` plus
``/v1/traces``, as the specification says), the service name and the sampler. A bad value
never stops a process: tracing is an aid, so ``config_from_env`` returns the problem with
a config that falls back (no tracing for a bad exporter, the default sampler for a bad
sampler) and the shell logs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Exporter = Literal["none", "console", "otlp"]
EXPORTERS: tuple[Exporter, ...] = ("none", "console", "otlp")
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
DEFAULT_SAMPLER = "parentbased_always_on"
DEFAULT_ENDPOINT = "http://localhost:4318"


@dataclass(frozen=True, slots=True)
class TracingConfig:
    exporter: Exporter = "none"
    service_name: str = "podium"
    endpoint: str = f"{DEFAULT_ENDPOINT}/v1/traces"
    """Where the OTLP/HTTP exporter posts (the full URL, path included)."""
    sampler: str = DEFAULT_SAMPLER
    ratio: float = 1.0
    """The ``*traceidratio`` samplers' probability (``OTEL_TRACES_SAMPLER_ARG``)."""

    @property
    def enabled(self) -> bool:
        return self.exporter != "none"


def config_from_env(env: Mapping[str, str], service: str) -> tuple[TracingConfig, list[str]]:
    """The config for a process named ``service`` (unless ``OTEL_SERVICE_NAME`` names it),
    and what was wrong in ``env`` (empty when nothing was)."""
    problems: list[str] = []
    exporter = _exporter(env.get("OTEL_TRACES_EXPORTER"), problems)
    sampler, ratio = _sampler(env, problems)
    return TracingConfig(
        exporter=exporter,
        service_name=env.get("OTEL_SERVICE_NAME", "").strip() or service,
        endpoint=_endpoint(env),
        sampler=sampler,
        ratio=ratio,
    ), problems


def _exporter(value: str | None, problems: list[str]) -> Exporter:
    name = (value or "none").strip().lower() or "none"
    for known in EXPORTERS:
        if name == known:
            return known
    problems.append(
        f"OTEL_TRACES_EXPORTER={value!r} is not supported (allowed: {', '.join(EXPORTERS)}): "
        "tracing stays off"
    )
    return "none"


def _endpoint(env: Mapping[str, str]) -> str:
    traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if traces:
        return traces
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or DEFAULT_ENDPOINT
    return f"{base.rstrip('/')}/v1/traces"


def _sampler(env: Mapping[str, str], problems: list[str]) -> tuple[str, float]:
    name = env.get("OTEL_TRACES_SAMPLER", "").strip().lower() or DEFAULT_SAMPLER
    if name not in SAMPLERS:
        problems.append(
            f"OTEL_TRACES_SAMPLER={name!r} is not supported (allowed: {', '.join(SAMPLERS)}): "
            f"using {DEFAULT_SAMPLER}"
        )
        name = DEFAULT_SAMPLER
    arg = env.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if not arg or not name.endswith("traceidratio"):
        return name, 1.0
    try:
        ratio = float(arg)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        problems.append(f"OTEL_TRACES_SAMPLER_ARG={arg!r} is not a number in [0, 1]: using 1.0")
        return name, 1.0
    return name, ratio
