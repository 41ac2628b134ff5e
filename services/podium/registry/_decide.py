"""Pure decisions of ``apply``: what to do with each pipeline, given what is published.

A ``name@version`` is immutable once published, because runs pin the version
they started with: republishing the same content is a no-op, different
content is refused. An apply is all-or-nothing: if any pipeline is refused,
none is published (the others are reported as held back), so a directory of
definitions never lands half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from podium.pipelines import Pipeline, content_hash
from podium.registry._record import RegisteredPipeline


@dataclass(frozen=True)
class Publish:
    """A new ``name@version``: publish it."""


@dataclass(frozen=True)
class Unchanged:
    """Already published with the same content: nothing to do."""


@dataclass(frozen=True)
class Refused:
    """Already published with different content; ``reason`` says what to do."""

    reason: str


Decision = Publish | Unchanged | Refused


def publish_decision(
    existing: RegisteredPipeline | None, new: Pipeline, *, source: str | None = None
) -> Decision:
    """Publish a new version, ignore an identical one, refuse a changed one.

    ``source`` (the file ``new`` came from) is named in the refusal.
    """
    if existing is None:
        return Publish()
    new_hash = content_hash(new)
    if existing.content_hash == new_hash:
        return Unchanged()
    where = f"in {source} " if source else ""
    when = f"{existing.published_at:%Y-%m-%d %H:%M} UTC"
    return Refused(
        f"{new.key} is already published with different content "
        f"({short_hash(existing.content_hash)}, published {when}"
        f"; yours is {short_hash(new_hash)}): a published version never changes, "
        f"so bump `version` {where}to publish the change"
    )


class ApplyStatus(StrEnum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REFUSED = "refused"
    HELD = "held"
    """Would have been published, but another pipeline of the same apply was refused."""


@dataclass(frozen=True)
class ApplyResult:
    """What ``apply`` did (or would do, before publishing) with one pipeline."""

    key: str
    status: ApplyStatus
    content_hash: str
    source: str | None = None
    reason: str = ""


def plan_apply(
    published: Mapping[str, RegisteredPipeline],
    pipelines: Sequence[Pipeline],
    sources: Mapping[str, str] | None = None,
) -> list[ApplyResult]:
    """One result per pipeline: PUBLISHED (to be published) / UNCHANGED / REFUSED / HELD."""
    sources = sources or {}
    results = [_result(published.get(p.key), p, sources.get(p.key)) for p in pipelines]
    if any(r.status is ApplyStatus.REFUSED for r in results):
        return [_hold(r) for r in results]
    return results


def _result(existing: RegisteredPipeline | None, new: Pipeline, source: str | None) -> ApplyResult:
    match publish_decision(existing, new, source=source):
        case Publish():
            status, reason = ApplyStatus.PUBLISHED, ""
        case Unchanged():
            status, reason = ApplyStatus.UNCHANGED, ""
        case Refused(reason=why):
            status, reason = ApplyStatus.REFUSED, why
    return ApplyResult(new.key, status, content_hash(new), source, reason)


def _hold(result: ApplyResult) -> ApplyResult:
    if result.status is not ApplyStatus.PUBLISHED:
        return result
    reason = "not published: another pipeline in this apply was refused (all or nothing)"
    return ApplyResult(result.key, ApplyStatus.HELD, result.content_hash, result.source, reason)


def short_hash(digest: str, length: int = 12) -> str:
    """``sha256:0123456789ab``: enough to tell versions apart on screen."""
    algorithm, _, hexdigest = digest.partition(":")
    return f"{algorithm}:{hexdigest[:length]}" if hexdigest else digest[:length]
