"""Secret params: references, not values; what a service resolves it redacts."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from podium.pipelines import ParamError, Pipeline, resolve_params, validate_pipeline
from podium.secrets import REDACTED, Reference, SecretError, parse_reference, redact, resolve
from podium.service._redact import redact_json_text

SECRET = "s3cr3t-Pa55!"


def _pipeline(**param: Any) -> Pipeline:
    return Pipeline.model_validate(
        {
            "name": "p",
            "version": 1,
            "params": {"db_password": {"type": "string", "secret": True, **param}},
            "steps": [{"name": "a", "service": "s"}],
        }
    )


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("env:DB_PASSWORD", Reference("env", "DB_PASSWORD")),
        ("file:/run/secrets/db", Reference("file", "/run/secrets/db")),
        ("hunter2", None),
        ("env:", None),
        ("env:1BAD", None),
        ("file:relative/path", None),
        (42, None),
    ],
)
def test_a_reference_is_env_name_or_an_absolute_file(text: object, reference: Any) -> None:
    assert parse_reference(text) == reference


def test_a_run_gives_a_reference_and_a_literal_value_is_refused_without_echoing_it() -> None:
    pipeline = _pipeline()
    assert resolve_params(pipeline, {"db_password": "env:DB_PASSWORD"}) == {
        "db_password": "env:DB_PASSWORD"
    }
    with pytest.raises(ParamError) as refused:
        resolve_params(pipeline, {"db_password": SECRET})
    assert "env:NAME or file:/path" in str(refused.value) and SECRET not in str(refused.value)


def test_a_secret_param_is_a_string_whose_default_is_a_reference() -> None:
    assert not validate_pipeline(_pipeline(default="env:DB_PASSWORD"))
    fields = {p.location for p in validate_pipeline(_pipeline(default="hunter2"))}
    assert fields == {"params.db_password.default"}
    fields = {p.location for p in validate_pipeline(_pipeline(type="integer"))}
    assert "params.db_password.type" in fields


def test_resolving_reads_the_environment_or_a_file(tmp_path: Path) -> None:
    file = tmp_path / "db"
    file.write_text(SECRET + "\n")
    read = lambda path: path.read_text()  # noqa: E731
    assert resolve(Reference("env", "X"), "p", {"X": SECRET}, read) == SECRET
    assert resolve(Reference("file", str(file)), "p", {}, read) == SECRET
    with pytest.raises(SecretError, match="environment variable X is not set"):
        resolve(Reference("env", "X"), "p", {}, read)
    with pytest.raises(SecretError, match="cannot read"):
        resolve(Reference("file", str(tmp_path / "none")), "p", {}, read)


@given(st.text(min_size=1), st.text(), st.text())
def test_redacted_text_never_holds_the_secret(secret: str, before: str, after: str) -> None:
    assume(secret not in REDACTED)  # a "secret" of asterisks is in the mask itself, not leaked
    text = before + secret + after + secret
    assert secret not in redact(text, [secret])


JSON_VALUES = st.recursive(
    st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=8
)


@given(st.text(min_size=1, max_size=20), JSON_VALUES)
def test_redacted_json_stays_json_and_holds_no_secret(secret: str, value: Any) -> None:
    assume(secret not in REDACTED)
    text = json.dumps({"v": value, "s": f"x{secret}y", secret: 1})
    decoded = json.loads(redact_json_text(text, [secret]))
    assert not any(secret in string for string in _strings(decoded))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    return []


def test_the_step_logger_redacts_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from podium.service._context import StepLogger

    logger = StepLogger(logging.getLogger("test.secrets"), {"run_id": "r"})
    logger.secrets.append(SECRET)
    with caplog.at_level(logging.INFO, logger="test.secrets"):
        logger.info("connecting with %s", SECRET)
        try:
            raise RuntimeError(f"login failed for {SECRET}")
        except RuntimeError:
            logger.warning("step failed", exc_info=True)
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert SECRET not in text and "login failed for ***" in text and "connecting with ***" in text
