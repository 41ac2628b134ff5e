"""One page of runs: filters and search over a :class:`RunTable`, from a key on. Pure.

A page walks the table's order newest first, from the cursor (the key of the last run
of the page before), keeping the runs that match until it has ``limit`` of them. The
time range is a range of keys, so ``since``/``until`` bound the walk itself; ``pipeline`` and
``status`` walk their own list (the shorter, the other checked run by run), and ``q``
is checked on the key's run id and against the table's index of param texts (never
the params themselves).

Paging is stable while runs come and go: where a page ends is a key, not a position,
so a run added after the first page (newer than that key) is not shown on later pages,
a forgotten one is simply gone, and no run shows twice, unless its ``created_at`` moves
behind the key between pages (an earlier event of it read late). The API turns the key
into an opaque cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from podium.contract import RunStatus
from podium.runs._index import Key, RunTable, param_texts
from podium.runs._view import RunView


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs a listing shows; None (or empty) lets every run through.
    ``since`` is inclusive and ``until`` exclusive, both on ``created_at``."""

    pipeline: str | None = None
    status: RunStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class RunPage:
    """The runs of a page, newest first, and the key the next starts before (None: this
    was the last). A full page always has one: the page after it may turn out empty."""

    runs: list[RunView] = field(default_factory=list)
    next: Key | None = None


def page_runs(table: RunTable, wanted: RunFilter, limit: int, before: Key | None = None) -> RunPage:
    """Up to ``limit`` runs passing ``wanted``, newest first, all older than ``before``."""
    found: list[RunView] = []
    if limit < 1:
        return RunPage()
    keys = _keys_in_range(table, wanted, before)
    if wanted.q:
        keys = _searched(keys, wanted.q, table.with_param_text(wanted.q))
    rest = replace(wanted, q=None)
    for key in keys:
        view = table.views[key[1]]
        if matches(view, rest):
            found.append(view)
            if len(found) == limit:
                return RunPage(found, key)
    return RunPage(found)


def _keys_in_range(table: RunTable, wanted: RunFilter, before: Key | None) -> Iterator[Key]:
    """The keys newest first, from ``until`` (or ``before``, the earlier) down to ``since``."""
    upper = before
    if wanted.until is not None:
        bound = (wanted.until, "")  # sorts before every run created at ``until``
        upper = bound if upper is None else min(upper, bound)
    for key in table.newest_first(upper, pipeline=wanted.pipeline, status=wanted.status):
        if wanted.since is not None and key[0] < wanted.since:
            return
        yield key


def _searched(keys: Iterator[Key], q: str, by_param: set[str]) -> Iterator[Key]:
    """The keys of the runs ``q`` finds (:func:`found_by`, from the key and the index)."""
    return (key for key in keys if q in key[1] or key[1] in by_param)


def matches(view: RunView, wanted: RunFilter) -> bool:
    """Whether ``view`` passes every filter of ``wanted``."""
    if wanted.pipeline is not None and view.pipeline != wanted.pipeline:
        return False
    if wanted.status is not None and view.status is not wanted.status:
        return False
    if wanted.since is not None and view.created_at < wanted.since:
        return False
    if wanted.until is not None and view.created_at >= wanted.until:
        return False
    return not wanted.q or found_by(view, wanted.q)


def found_by(view: RunView, q: str) -> bool:
    """A search hit: the run id contains ``q``, or a param's scalar value reads as ``q``
    (a string as itself, a number or boolean as JSON writes it: ``3``, ``true``)."""
    return q in view.run_id or q in param_texts(view.params)
