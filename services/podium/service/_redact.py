"""What leaves a service once a handler resolved a secret: redacted (pure).

A failure's message and details, a poison request's reason (its dead letter's error
header) and the output are what the service publishes from an attempt; each has every
resolved secret replaced by ``***`` (see :mod:`podium.secrets`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from podium.secrets import REDACTED, redact
from podium.service._context import StepContext
from podium.service._errors import PoisonMessage
from podium.service._results import Failure


def redacted_failure(failure: Failure, context: StepContext) -> Failure:
    """``failure`` without the attempt's secrets (itself when none was resolved)."""
    secrets = context.logger.secrets
    if not secrets:
        return failure
    details = failure.details_json
    poison = failure.poison
    if poison is not None:
        poison = PoisonMessage(redact(str(poison), secrets))
    return dataclasses.replace(
        failure,
        error_message=redact(failure.error_message, secrets),
        details_json=None if details is None else redact_json_text(details, secrets),
        poison=poison,
    )


def redact_json_text(text: str, secrets: Sequence[str]) -> str:
    """JSON ``text`` with each secret replaced where it is written inside a JSON string
    (escaped as JSON escapes it). A secret that is also JSON syntax (a lone ``{``) could
    break the text that way: then the strings are redacted value by value."""
    escaped = [json.dumps(secret)[1:-1] for secret in secrets if secret]
    replaced = redact(text, escaped)
    if replaced == text:
        return text
    try:
        json.loads(replaced)
    except ValueError:
        return json.dumps(_redact_value(json.loads(text), secrets))
    return replaced


def _redact_value(value: object, secrets: Sequence[str]) -> object:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redact_value(item, secrets) for item in value]
    if isinstance(value, dict):
        return {redact(k, secrets): _redact_value(v, secrets) for k, v in value.items()}
    return value


__all__ = ["REDACTED", "redact_json_text", "redacted_failure"]
