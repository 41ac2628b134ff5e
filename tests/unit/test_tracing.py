"""podium.tracing: the config from OTEL_* variables, the derived ids, the request headers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._traceids import (
    _TRACEPARENT,
    attempt_span_id,
    event_trace,
    run_span_id,
    run_trace,
    step_trace,
)
from podium.tracing._config import TracingConfig, config_from_env

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_unset_is_off() -> None:
    config, problems = config_from_env({}, "podium-coordinator")
    assert config == TracingConfig(service_name="podium-coordinator")
    assert not config.enabled and problems == []


def test_otlp_endpoint_from_the_base_or_the_traces_variable() -> None:
    env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}
    config, _ = config_from_env(env, "s")
    assert config.enabled and config.endpoint == "http://c:4318/v1/traces"
    env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://t:1/x"
    assert config_from_env(env, "s")[0].endpoint == "http://t:1/x"
    assert config_from_env({"OTEL_TRACES_EXPORTER": "otlp"}, "s")[0].endpoint == (
        "http://localhost:4318/v1/traces"
    )


def test_service_name_and_console() -> None:
    env = {"OTEL_TRACES_EXPORTER": " Console ", "OTEL_SERVICE_NAME": "mine"}
    config, problems = config_from_env(env, "podium-api")
    assert (config.exporter, config.service_name, problems) == ("console", "mine", [])


def test_unknown_exporter_names_the_variable_and_falls_back_to_none() -> None:
    config, problems = config_from_env({"OTEL_TRACES_EXPORTER": "zipkin"}, "s")
    assert config.exporter == "none"
    assert len(problems) == 1
    assert "OTEL_TRACES_EXPORTER" in problems[0] and "none, console, otlp" in problems[0]


def test_sampler_and_ratio() -> None:
    env = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}
    config, problems = config_from_env(env, "s")
    assert (config.sampler, config.ratio, problems) == ("parentbased_traceidratio", 0.25, [])
    bad, problems = config_from_env({**env, "OTEL_TRACES_SAMPLER_ARG": "2"}, "s")
    assert bad.ratio == 1.0 and "OTEL_TRACES_SAMPLER_ARG" in problems[0]
    unknown, problems = config_from_env({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "s")
    assert unknown.sampler == "parentbased_always_on" and "OTEL_TRACES_SAMPLER" in problems[0]


_VARIABLES = [
    "OTEL_TRACES_EXPORTER",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
]


@given(st.dictionaries(st.sampled_from(_VARIABLES), st.text()))
def test_any_environment_gives_a_config(env: dict[str, str]) -> None:
    config, problems = config_from_env(env, "s")
    assert config.exporter in ("none", "console", "otlp")
    assert 0.0 <= config.ratio <= 1.0
    assert config.service_name
    assert all(isinstance(problem, str) for problem in problems)


@given(st.text(), st.text(), st.integers(min_value=0, max_value=10**6))
def test_ids_are_stable_valid_and_distinct(run_id: str, step: str, attempt: int) -> None:
    run = run_span_id(run_id)
    one = attempt_span_id(run_id, step, attempt)
    assert run == run_span_id(run_id) and one == attempt_span_id(run_id, step, attempt)
    assert 0 < run < 2**64 and 0 < one < 2**64
    assert one != attempt_span_id(run_id, step, attempt + 1)
    assert one != run


def test_a_run_continues_its_trigger_trace() -> None:
    run = run_trace("r1", {"traceparent": PARENT})
    assert run.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert run.parent_id == 0xB7AD6B7169203331 and run.flags == 1


def test_a_run_without_a_valid_traceparent_gets_a_derived_trace() -> None:
    for trace in ({}, {"traceparent": "garbage"}, {"traceparent": "00-" + "0" * 32 + "-1-01"}):
        run = run_trace("r1", trace)
        assert run.parent_id is None and run.flags == 1
        assert run.trace_id == run_trace("r1", {}).trace_id != run_trace("r2", {}).trace_id


def test_a_step_request_names_its_attempt_span() -> None:
    trace = {"traceparent": PARENT, "tracestate": "k=v", "baggage": "b=1"}
    headers = step_trace("r1", "extract", 2, trace)
    span_id = attempt_span_id("r1", "extract", 2)
    assert headers == {
        "traceparent": f"00-0af7651916cd43dd8448eb211c80319c-{span_id:016x}-01",
        "baggage": "b=1",
    }
    assert _TRACEPARENT.match(step_trace("r1", "s", 1, {})["traceparent"])


def test_run_events_name_the_run_span_or_their_attempts() -> None:
    trace = {"traceparent": PARENT, "baggage": "b=1"}
    run_level = event_trace("r1", None, None, trace)
    assert run_level["traceparent"].split("-")[2] == f"{run_span_id('r1'):016x}"
    assert run_level["baggage"] == "b=1"
    assert event_trace("r1", "extract", 2, trace) == step_trace("r1", "extract", 2, trace)
