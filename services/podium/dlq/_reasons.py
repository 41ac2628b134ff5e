"""The one set of DLQ reason codes, and how finer codes map onto it (pure).

Every consumer writes one of :data:`REASONS` in ``podium-dlq-reason``, so
``podium dlq list --reason decode`` and ``podium dlq stats`` mean the same on
every topic. What the failing code knew more precisely (a codec error's own
code, a limit's name, an exception class) goes to ``podium-dlq-detail``, so
nothing is lost: ``--reason`` matches either header.

    reason            detail (examples)                     meaning
    decode            not-avro-framing, truncated,          the bytes are not a message
                      corrupt-body, decode-error,           (tombstone, empty, cut, garbage)
                      not-json, not-confluent-framing
    schema            unknown-fingerprint,                  the writer schema is unknown or
                      schema-resolution, unknown-schema-id, cannot be read with ours
                      unsupported-schema
    wrong-type        wrong-event-type, wrong-type          a valid event this topic never carries
    validation        validation, max-params-bytes,         decodes, but its content is refused
                      max-message-bytes, ParamError         (params, limits, a bad definition)
    unknown-pipeline  unknown-pipeline                      names no published pipeline (version)
    unknown-run       unknown-run                           a result for a run with no state at all
    handler           PoisonMessage, RuntimeError, ...      the handling code refused it (a service
                                                            raised PoisonMessage) or failed on it
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DECODE = "decode"
SCHEMA = "schema"
WRONG_TYPE = "wrong-type"
VALIDATION = "validation"
UNKNOWN_PIPELINE = "unknown-pipeline"
UNKNOWN_RUN = "unknown-run"
HANDLER = "handler"

REASONS: Mapping[str, str] = MappingProxyType(
    {
        DECODE: "the bytes are not a message (tombstone, empty, truncated, corrupt, not framed)",
        SCHEMA: "the writer schema is unknown or cannot be read with the reader schema",
        WRONG_TYPE: "a valid event of a type this topic does not carry",
        VALIDATION: "the message decodes but its content is refused (params, limits, definition)",
        UNKNOWN_PIPELINE: "it names a pipeline (or version) that is not published",
        UNKNOWN_RUN: "a step result for a run the coordinator has no state for",
        HANDLER: "the handling code refused it (PoisonMessage) or failed unexpectedly on it",
    }
)
"""Every reason a dead letter can have, with what it means."""

DETAILS: Mapping[str, str] = MappingProxyType(
    {
        "codec-error": DECODE,
        "decode-error": DECODE,
        "not-avro-framing": DECODE,
        "truncated": DECODE,
        "corrupt-body": DECODE,
        "not-json": DECODE,
        "not-confluent-framing": DECODE,
        "unknown-fingerprint": SCHEMA,
        "schema-resolution": SCHEMA,
        "unknown-schema-id": SCHEMA,
        "unsupported-schema": SCHEMA,
        "wrong-event-type": WRONG_TYPE,
    }
)
"""Finer codes (the codec's ``reason``) -> their reason; kept as the detail."""


def canonical_reason(code: str) -> str:
    """The reason for ``code``: itself if it is one, its mapping if it is a finer code, else
    ``handler`` (an exception nobody classified: the handling code failed on the message)."""
    if code in REASONS:
        return code
    return DETAILS.get(code, HANDLER)


def known_code(code: object) -> bool:
    """Whether ``code`` is a reason or a finer code (not free text that happens to be in a
    ``reason`` attribute, as ParamError's is)."""
    return isinstance(code, str) and (code in REASONS or code in DETAILS)
