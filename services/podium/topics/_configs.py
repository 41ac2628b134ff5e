"""Which topic configs Podium knows, and which values they accept.

Checked before touching the cluster so a typo (``retention.msec``) or a bad
value (``cleanup.policy: compacted``) fails with the file and field named,
instead of as a broker error halfway through an apply. The key list is the
topic-level config set of Kafka 4.x.
"""

from __future__ import annotations

from collections.abc import Callable

CLEANUP_POLICIES = ("delete", "compact", "compact,delete", "delete,compact")
COMPRESSION_TYPES = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
TIMESTAMP_TYPES = ("CreateTime", "LogAppendTime")

# Keys whose value is a whole number, with the smallest value Kafka accepts.
_INTEGER_MINIMUMS: dict[str, int] = {
    "compression.gzip.level": -1,
    "compression.lz4.level": 1,
    "compression.zstd.level": -131072,
    "delete.retention.ms": 0,
    "file.delete.delay.ms": 0,
    "flush.messages": 1,
    "flush.ms": 0,
    "index.interval.bytes": 0,
    "local.retention.bytes": -2,
    "local.retention.ms": -2,
    "max.compaction.lag.ms": 1,
    "max.message.bytes": 0,
    "message.timestamp.after.max.ms": 0,
    "message.timestamp.before.max.ms": 0,
    "min.compaction.lag.ms": 0,
    "min.insync.replicas": 1,
    "remote.copy.lag.bytes": -1,
    "remote.copy.lag.ms": 0,
    "retention.bytes": -1,
    "retention.ms": -1,
    "segment.bytes": 1048576,
    "segment.index.bytes": 4,
    "segment.jitter.ms": 0,
    "segment.ms": 1,
}

_BOOLEANS = (
    "errors.deadletterqueue.group.enable",
    "message.downconversion.enable",
    "preallocate",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "remote.storage.enable",
    "unclean.leader.election.enable",
)

# Keys Kafka accepts whose values Podium does not check further.
_FREE_FORM = (
    "follower.replication.throttled.replicas",
    "leader.replication.throttled.replicas",
)


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def _integer_at_least(minimum: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return "must be a whole number"
        return None if number >= minimum else f"must be >= {minimum}"

    return check


def _ratio(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return "must be a number between 0 and 1"
    return None if 0.0 <= number <= 1.0 else "must be between 0 and 1"


def _anything(value: str) -> str | None:
    return None


def _checkers() -> dict[str, Callable[[str], str | None]]:
    checks: dict[str, Callable[[str], str | None]] = {
        "cleanup.policy": _one_of(CLEANUP_POLICIES),
        "compression.type": _one_of(COMPRESSION_TYPES),
        "message.timestamp.type": _one_of(TIMESTAMP_TYPES),
        "min.cleanable.dirty.ratio": _ratio,
    }
    checks.update({key: _integer_at_least(low) for key, low in _INTEGER_MINIMUMS.items()})
    checks.update({key: _one_of(("true", "false")) for key in _BOOLEANS})
    checks.update({key: _anything for key in _FREE_FORM})
    return checks


_CHECKS = _checkers()
KNOWN_TOPIC_CONFIGS = frozenset(_CHECKS)


def config_problem(key: str, value: str) -> str | None:
    """Why ``key: value`` is not a valid topic config, or None when it is."""
    check = _CHECKS.get(key)
    if check is None:
        return f"unknown topic config {key!r}: check the spelling against Kafka's topic configs"
    problem = check(value)
    return None if problem is None else f"{problem} (got {value!r})"
